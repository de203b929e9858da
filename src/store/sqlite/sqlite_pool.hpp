#pragma once
// The SQLite backend's connections, shared by its aggregates (sqlite_<aggregate>.cpp): a
// control connection (migrations, ping; it also keeps an in-memory database alive), a small
// pool of read connections, each with its own prepared statements, so readers never wait for
// the writer (WAL) and rarely for each other, and one connection for the service's own small
// writes (model sets, activations, settings, the recommendation log). The group writer opens
// a connection of its own (sqlite_writer.cpp).
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "store/connection_lease.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace agentlearn {

struct SqliteOptions {
  // Read connections kept open; more concurrent readers wait for one to be free.
  size_t read_pool_size = 4;
  // Page cache per connection. Small on purpose: the OS page cache holds the hot data once,
  // and a server with a million rows must stay well under 200 MB resident.
  int cache_kib = 8 * 1024;
  // How long a statement waits for another process's lock before giving up (kUnavailable).
  int busy_timeout_ms = 5000;
  // Called (on the waiting thread) each time a statement first finds the database locked by
  // another connection, before it waits: lets a test know that a write is waiting for a
  // lock, rather than guess from a pause. Unset in the service. It is read through the
  // pool's copy of these options, so it lives as long as the store.
  std::function<void()> on_busy;
};

// Scan callbacks run while a pooled connection is held: they must not call back into the
// store (with every connection leased, that would wait forever).
class SqlitePool {
 public:
  struct Connection;  // one connection and its statement cache (sqlite_connection.hpp)

  // `open_name` is what sqlite3_open_v2 gets: the path, or a memdb URI (`uri`).
  SqlitePool(std::string path, std::string open_name, bool uri, SqliteOptions options);
  ~SqlitePool();
  SqlitePool(const SqlitePool&) = delete;
  SqlitePool& operator=(const SqlitePool&) = delete;

  // Opens the control connection and puts the file in WAL mode.
  Status init();

  const std::string& path() const { return path_; }
  // What a new connection of this store opens (sqlite_impl::open_connection): the group
  // writer's connection is configured like every other.
  const std::string& open_name() const { return open_name_; }
  bool uri() const { return uri_; }
  const SqliteOptions& options() const { return options_; }

  // Runs `fn` on the control connection, alone.
  template <typename Fn>
  auto with_control(Fn&& fn) {
    std::lock_guard lock(control_mu_);
    return fn(control_);
  }

  void release_reader(std::unique_ptr<Connection> reader);
  using ReaderLease = ConnectionLease<Connection, SqlitePool, &SqlitePool::release_reader>;
  StatusOr<ReaderLease> acquire_reader();
  // Runs `sql` on a pooled reader: `bind` sets its parameters, `row` sees each result row.
  Status query(const std::string& sql, std::string_view what, const std::function<void(sqlite3_stmt*)>& bind,
               const std::function<void(sqlite3_stmt*)>& row);
  // Runs `fn` in one IMMEDIATE transaction on the service-write connection (opened on first
  // use), committing when it succeeds and rolling back when it does not.
  Status write(const std::function<Status(Connection&)>& fn);
  // write() of one statement per row, `bind` setting its parameters from the row; nothing
  // at all for no rows. Defined in sqlite_connection.hpp.
  template <typename T, typename Bind>
  Status write_each(std::span<const T> rows, const std::string& sql, std::string_view what, Bind&& bind);

 private:
  std::string path_;       // as the caller named it (for messages)
  std::string open_name_;  // what sqlite3_open_v2 gets
  bool uri_ = false;
  SqliteOptions options_;

  std::mutex control_mu_;
  sqlite3* control_ = nullptr;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  size_t open_readers_ = 0;  // idle + leased

  // Not the control connection: a write waits (busy_timeout) while the group writer holds the
  // lock, and ping() must not wait behind it.
  std::mutex write_mu_;
  std::unique_ptr<Connection> write_conn_;
};

}  // namespace agentlearn

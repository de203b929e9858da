#pragma once
// The embedded store: one SQLite file in WAL mode. Durable by construction (synchronous=FULL:
// a committed transaction is on disk before commit() returns, so an acknowledged record
// survives kill -9 and power loss). One writer connection per open_writer(); reads share a
// small pool of connections, each with its own prepared statements, so readers never wait
// for the writer (WAL) and rarely for each other. The service's own small writes (model sets,
// activations, settings, the recommendation log) have one more connection of their own.
//
// One class, its members defined by aggregate: sqlite_executions.cpp, sqlite_models.cpp,
// sqlite_embeddings.cpp, sqlite_settings.cpp, sqlite_recommendation_log.cpp; the connections
// and the pool in sqlite_store.cpp (plumbing in sqlite_connection.hpp), the schema in
// sqlite_migrations.cpp, the group writer's connection in sqlite_writer.cpp.
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/connection_lease.hpp"
#include "store/store.hpp"

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
};

// Scan callbacks run while a pooled connection is held: they must not call back into the
// store (with every connection leased, that would wait forever).
class SqliteStore final : public Store {
 public:
  // Opens the database file at `path`, creating it and its parent directory if missing.
  static StatusOr<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                     SqliteOptions options = {});
  // A private in-memory database shared by this store's connections, gone when the store
  // is destroyed. For tests; not durable.
  static StatusOr<std::unique_ptr<SqliteStore>> open_memory(SqliteOptions options = {});

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  const char* backend() const override { return "sqlite"; }
  VectorStorage vector_storage() const override { return VectorStorage::kBlob; }
  AGENTLEARN_STORE_OVERRIDES

  const std::string& path() const { return path_; }

  struct Connection;  // one connection and its statement cache (sqlite_connection.hpp)

 private:
  SqliteStore(std::string path, std::string open_name, bool uri, SqliteOptions options);

  // Opens the control connection and puts the file in WAL mode.
  Status init();
  void release_reader(std::unique_ptr<Connection> reader);
  using ReaderLease = ConnectionLease<Connection, SqliteStore, &SqliteStore::release_reader>;
  StatusOr<ReaderLease> acquire_reader();
  // Runs `sql` on a pooled reader: `bind` sets its parameters, `row` sees each result row.
  Status query(const std::string& sql, std::string_view what,
               const std::function<void(sqlite3_stmt*)>& bind,
               const std::function<void(sqlite3_stmt*)>& row);
  // Runs `fn` in one IMMEDIATE transaction on the service-write connection (opened on first
  // use), committing when it succeeds and rolling back when it does not.
  Status write(const std::function<Status(Connection&)>& fn);
  // write() of one statement per row, `bind` setting its parameters from the row; nothing
  // at all for no rows. Defined in sqlite_connection.hpp.
  template <typename T, typename Bind>
  Status write_each(std::span<const T> rows, const std::string& sql, std::string_view what, Bind&& bind);

  std::string path_;       // as the caller named it (for messages)
  std::string open_name_;  // what sqlite3_open_v2 gets: the path, or a memdb URI
  bool uri_ = false;
  SqliteOptions options_;

  // Used for migrate() and ping(); it also keeps an in-memory database alive.
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

#pragma once
// The PostgreSQL backend's connections, shared by its aggregates (postgres_<aggregate>.cpp):
// a pool of connections for reads and the service's own small writes, made on first need
// and replaced when found broken, and the helpers every aggregate reads and writes through.
// The group writer and ping() have connections of their own.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "store/connection_lease.hpp"
#include "store/embedding_store.hpp"
#include "store/postgres/postgres_dialect.hpp"

struct pg_result;  // libpq's PGresult

namespace agentlearn {

struct PostgresOptions {
  // Read connections kept open; more concurrent readers wait for one to be free.
  size_t read_pool_size = 4;
  // Seconds to wait for a connection (libpq's minimum effective value is 2).
  int connect_timeout_s = 3;
  // Milliseconds ping() waits for its answer before declaring the server unavailable.
  int ping_timeout_ms = 3000;
  // Rows fetched per round trip when streaming a scan (bounds client memory).
  size_t fetch_rows = 4096;
  // Groups larger than this go through COPY (ids drawn first, then one COPY: 3 round trips);
  // smaller ones through one INSERT ... unnest() statement (1 round trip). Measured: equal at
  // 30 rows (the commit's fsync dominates), COPY about 1.5x faster at 10,000 rows.
  size_t copy_threshold = 256;
};

// Scan callbacks run while a pooled connection is held: they must not call back into the
// store (with every connection leased, that would wait forever).
class PostgresPool {
 public:
  class Connection;  // one libpq connection (postgres_connection.hpp)

  // `target` is "host:port/dbname", for messages (never the password).
  PostgresPool(std::string url, std::string target, PostgresOptions options);
  ~PostgresPool();
  PostgresPool(const PostgresPool&) = delete;
  PostgresPool& operator=(const PostgresPool&) = delete;

  const std::string& url() const { return url_; }
  const std::string& target() const { return target_; }
  const PostgresOptions& options() const { return options_; }

  // What the server does differently (PGlite), learned at connect.
  PostgresDialect& dialect() { return dialect_; }

  // What migrate() found migration 3 made of the embedding column.
  VectorStorage vector_storage() const { return storage_.load(); }
  void set_vector_storage(VectorStorage storage) { storage_.store(storage); }

  // A new connection of this store's, not pooled (connected on first use).
  std::unique_ptr<Connection> new_connection();

  // A pooled connection, (re)connected if it was broken.
  void release(std::unique_ptr<Connection> conn);
  using Lease = ConnectionLease<Connection, PostgresPool, &PostgresPool::release>;
  StatusOr<Lease> acquire();
  // Runs a read; if it fails on a broken connection before delivering anything, runs it once
  // more on a fresh connection (a restarted server breaks every idle pooled connection).
  // `fn` sets its bool once it has delivered anything (then it is never run twice).
  Status with_read_retry(const std::function<Status(Connection&, bool&)>& fn);
  // Runs a query (text parameters, nullptr is NULL) and hands each result row to `row`.
  Status query(const char* sql, std::initializer_list<const char*> params, std::string_view what,
               const std::function<void(const pg_result*, int)>& row);
  // Streams a query's rows through a cursor, so memory stays bounded however many match.
  Status stream(const std::string& sql, std::span<const char* const> params,
                const std::function<void(const pg_result*, int)>& row);
  // stream() of a page of embedding rows: $1 after_id, $2 version, $3 limit (0: all); no rows
  // for a version with a NUL (it cannot be stored).
  Status stream_page(const std::string& sql, std::string_view version, int64_t after_id, size_t limit,
                     const std::function<void(const pg_result*, int)>& row);
  // Runs `body` in one transaction on a pooled connection. Only a connection found dead at
  // BEGIN is replaced and the write tried again: after BEGIN the write may have reached the
  // server, and a second attempt could append an activation twice.
  Status write_txn(const std::function<Status(Connection&)>& body);
  // A connection of its own for moving a model set's blob, closed when it goes away: libpq
  // never shrinks its buffers, so a pooled connection would keep the blob's size allocated
  // (measured: +50 MB resident after a 50 MB bytea, until PQfinish).
  StatusOr<std::unique_ptr<Connection>> blob_connection();

 private:
  std::atomic<VectorStorage> storage_{VectorStorage::kRealArray};
  PostgresDialect dialect_;

  std::string url_;
  std::string target_;
  PostgresOptions options_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;  // idle + leased
};

}  // namespace agentlearn

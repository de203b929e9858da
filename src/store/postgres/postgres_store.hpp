#pragma once
// The PostgreSQL store (15+), through libpq's C API. Built to live through server restarts:
// no connection is made until one is needed, a broken connection is replaced on next use
// (the writer at begin(), readers when leased or when a read fails before returning rows),
// and every connection failure is a kUnavailable Status, never a hang: connect_timeout and
// tcp_user_timeout bound each attempt. Every value travels as a parameter or in COPY data;
// no user text is ever spliced into SQL.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.hpp"

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
class PostgresStore final : public Store {
 public:
  // Checks the URL (postgresql://... or postgres://...) without connecting, so a server
  // can start while PostgreSQL is still down and report "disconnected" until it is up.
  static StatusOr<std::unique_ptr<PostgresStore>> open(const std::string& url,
                                                       PostgresOptions options = {});
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  const char* backend() const override { return "postgresql"; }
  Status migrate() override;
  Status ping() override;
  StatusOr<std::unique_ptr<StoreWriter>> open_writer() override;

  StatusOr<int64_t> count_executions() override;
  Status scan_stats(const ExecutionFilter& filter,
                    const std::function<void(const StatsRow&)>& fn) override;
  Status scan_executions(int64_t after_id, size_t limit,
                         const std::function<void(const StoredRow&)>& fn) override;
  StatusOr<std::optional<StoredRow>> find_execution(std::string_view execution_id) override;
  Status scan_anomalies(std::optional<int64_t> since_us, size_t limit,
                        const std::function<void(const StoredRow&)>& fn) override;

  Status save_model_set(const ModelSetRecord& record) override;
  StatusOr<std::vector<ModelSetRecord>> list_model_sets() override;
  StatusOr<std::optional<ModelSetRecord>> load_model_set(std::string_view version) override;
  Status record_activation(const ModelActivation& activation) override;
  StatusOr<std::vector<ModelActivation>> activations() override;

  Status put_setting(std::string_view key, std::string_view value) override;
  StatusOr<std::optional<std::string>> get_setting(std::string_view key) override;

  Status log_recommendations(std::span<const RecommendationLogRow> rows) override;
  Status scan_logged_outcomes(
      const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) override;

  VectorStorage vector_storage() const override { return storage_.load(); }
  Status save_embeddings(std::span<const EmbeddingRecord> rows) override;
  Status scan_embeddings(std::string_view version, int64_t after_id, size_t limit,
                         const std::function<void(const EmbeddingRecord&)>& fn) override;
  Status scan_unembedded(std::string_view version, int64_t after_id, size_t limit,
                         const std::function<void(const TextRow&)>& fn) override;
  StatusOr<int64_t> count_embedded_tasks(std::string_view version, int64_t max_id) override;
  StatusOr<std::vector<TaskRuns>> task_runs(std::span<const uint64_t> task_keys,
                                            size_t runs_per_task) override;
  StatusOr<std::vector<TaskMatch>> nearest_tasks(std::span<const float> query,
                                                 std::string_view version, size_t k) override;

  class Connection;  // one libpq connection (defined in the .cpp)

 private:
  class Lease;
  PostgresStore(std::string url, std::string target, PostgresOptions options);

  // A pooled connection, (re)connected if it was broken.
  StatusOr<Lease> acquire();
  void release(std::unique_ptr<Connection> conn);
  // Runs a read; if it fails on a broken connection before delivering anything, runs it once
  // more on a fresh connection (a restarted server breaks every idle pooled connection).
  template <typename Fn>
  Status with_read_retry(Fn&& fn);
  // Runs a query (text parameters, nullptr is NULL) and hands each result row to `row`.
  Status query(const char* sql, std::initializer_list<const char*> params, std::string_view what,
               const std::function<void(const pg_result*, int)>& row);
  // Streams a query's rows through a cursor, so memory stays bounded however many match.
  Status stream(const std::string& sql, std::span<const char* const> params,
                const std::function<void(const pg_result*, int)>& row);
  // stream() of a page of embedding rows: $1 after_id, $2 version, $3 limit (0: all).
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

  // What migrate() found migration 3 made of the embedding column.
  std::atomic<VectorStorage> storage_{VectorStorage::kRealArray};

  std::string url_;
  std::string target_;  // "host:port/dbname", for messages (never the password)
  PostgresOptions options_;

  // ping() has its own connection so that /health answers even while every pooled
  // connection is busy streaming a long scan.
  std::mutex ping_mu_;
  std::unique_ptr<Connection> ping_conn_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;  // idle + leased
};

}  // namespace agentlearn

#pragma once
// The embedded store: one SQLite file in WAL mode. Durable by construction (synchronous=FULL:
// a committed transaction is on disk before commit() returns, so an acknowledged record
// survives kill -9 and power loss). One writer connection per open_writer(); reads share a
// small pool of connections, each with its own prepared statements, so readers never wait
// for the writer (WAL) and rarely for each other. The service's own small writes (model sets,
// activations, settings, the recommendation log) have one more connection of their own.
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

  VectorStorage vector_storage() const override { return VectorStorage::kBlob; }
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

  const std::string& path() const { return path_; }

  struct Connection;  // one connection and its statement cache (defined in the .cpp)

 private:
  class ReaderLease;
  SqliteStore(std::string path, std::string open_name, bool uri, SqliteOptions options);

  // Opens the control connection and puts the file in WAL mode.
  Status init();
  StatusOr<ReaderLease> acquire_reader();
  void release_reader(std::unique_ptr<Connection> reader);
  // Runs `sql` on a pooled reader: `bind` sets its parameters, `row` sees each result row.
  Status query(const std::string& sql, std::string_view what,
               const std::function<void(sqlite3_stmt*)>& bind,
               const std::function<void(sqlite3_stmt*)>& row);
  // Runs `fn` in one IMMEDIATE transaction on the service-write connection (opened on first
  // use), committing when it succeeds and rolling back when it does not.
  Status write(const std::function<Status(Connection&)>& fn);

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

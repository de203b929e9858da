#pragma once
// The storage interface. Backends (sqlite/, postgres/) implement it; the layers above see
// only this. Writes go through one StoreWriter owned by the GroupWriter thread (group commit);
// reads are thread-safe and may run from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"

namespace agentlearn {

struct ExecutionFilter {
  std::optional<int64_t> since_us;  // inclusive
  std::optional<int64_t> until_us;  // exclusive
  std::optional<std::string> task_type;
  std::optional<std::string> agent_id;
};

// The narrow row analytics needs; string_views are valid only during the callback.
struct StatsRow {
  std::string_view agent_id;
  double execution_time = 0;
  bool success = false;
  int64_t timestamp_us = 0;
  std::optional<double> cost_usd;
  bool anomaly = false;
};

// A whole stored execution, as training and tests read it back.
struct StoredRow {
  int64_t id = 0;
  Execution execution;
  int64_t received_us = 0;
  std::optional<double> anomaly_score;
  std::optional<bool> anomaly;
};

// A trained model set as stored with the data, so a restart or another replica loads it
// (spec.md section 3). Immutable once saved.
struct ModelSetRecord {
  std::string version;        // "v<semver>_<UTC time>", unique
  int64_t created_us = 0;     // when training finished
  bool rejected = false;      // failed the promotion rule; kept for inspection
  std::string reason;         // why it was rejected (empty when not)
  std::string summary_json;   // a JSON object: per-model metrics, samples, seconds, parameters
  std::string blob;           // ml::ModelSet::serialize(); empty in listings
};

// One entry of the history of which model set was active when (appended, never changed).
struct ModelActivation {
  int64_t id = 0;             // assigned by the store; increasing
  std::string version;
  int64_t activated_us = 0;
  std::string reason;         // e.g. "promoted", "rollback", "first model set"
};

// One answered recommendation, logged so that online-mode exploration can be evaluated
// offline (inverse propensity) once the execution that followed it is recorded with the same
// recommendation_id.
struct RecommendationLogRow {
  std::string recommendation_id;  // unique
  int64_t created_us = 0;
  std::string mode;               // rules / apprentice / online / exploit
  std::string model_version;      // the active model set, empty when none
  std::string chosen_agent;       // what the service answered (primary_agent)
  std::string model_agent;        // the models' top choice (empty without models)
  std::string rules_agent;        // the rules' top choice
  double propensity = 1;          // P(chosen_agent | the policy's randomisation)
  bool explored = false;          // the chosen agent was an exploration draw
};

// One execution's task-text embedding (spec.md section 3). Written after the execution was
// acknowledged (the embedder's queue), so ingest never waits for inference; rewritten when a
// new embedding version recomputes it.
struct EmbeddingRecord {
  int64_t id = 0;          // the execution's id
  std::string task_id;
  uint64_t task_key = 0;   // task_key(task_id): the task's key in the vector index
  std::string version;     // the embedding_generator version that computed it
  std::vector<float> vector;
};

// An execution with a task description that has no embedding of some version yet.
// string_views are valid only during the callback.
struct TextRow {
  int64_t id = 0;
  std::string_view task_id;
  std::string_view description;
};

// One run of a task, as a similar-task answer lists it.
struct TaskRun {
  std::string agent_id;
  bool success = false;
  double execution_time = 0;
};

// A task with its embedded executions (those that carry a description), for /tasks/similar.
struct TaskRuns {
  uint64_t task_key = 0;
  std::string task_id;
  std::string description;  // the first run's
  size_t total_runs = 0;    // all of them, even beyond the runs listed
  std::vector<TaskRun> runs;  // the first ones, in id order
};

// A nearest task found by the database (pgvector), not by the service's index.
struct TaskMatch {
  uint64_t task_key = 0;
  float similarity = 0;
};

// How the store keeps embeddings, as /health reports it.
enum class VectorStorage { kBlob, kPgvector, kRealArray };
const char* to_string(VectorStorage storage);

struct ExistingExecution {
  int64_t id = 0;
  std::string content_hash;
};

// Write primitives on one connection, used from one thread only, inside begin()/commit().
class StoreWriter {
 public:
  virtual ~StoreWriter() = default;
  // Starts a transaction, reconnecting first if the connection was lost.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  // For each execution_id: the stored row's id and content hash, or nullopt. `out` is
  // resized to ids.size().
  virtual Status find_existing(std::span<const std::string> ids,
                               std::vector<std::optional<ExistingExecution>>& out) = 0;
  // Inserts the rows and fills `ids_out` (same order) with their new ids. A unique
  // violation on execution_id (another process won a race) returns kConflict.
  virtual Status insert(std::span<const Execution* const> rows, int64_t received_us,
                        std::vector<int64_t>& ids_out) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // "sqlite" or "postgresql", as /health reports it.
  virtual const char* backend() const = 0;
  // Creates or upgrades the schema through numbered migrations; running it twice is harmless.
  virtual Status migrate() = 0;
  // A cheap round trip proving the store answers now; kUnavailable when it does not.
  virtual Status ping() = 0;
  virtual StatusOr<std::unique_ptr<StoreWriter>> open_writer() = 0;

  virtual StatusOr<int64_t> count_executions() = 0;
  // Streams the rows matching `filter`; a non-ok return means the scan failed part way.
  virtual Status scan_stats(const ExecutionFilter& filter, const std::function<void(const StatsRow&)>& fn) = 0;
  // Streams whole rows in id order, starting after `after_id`, at most `limit` (0: all).
  virtual Status scan_executions(int64_t after_id, size_t limit,
                                 const std::function<void(const StoredRow&)>& fn) = 0;
  virtual StatusOr<std::optional<StoredRow>> find_execution(std::string_view execution_id) = 0;
  // Executions flagged anomalous (anomaly = true), newest first (by id), at most `limit`,
  // optionally only those with timestamp_us >= since_us.
  virtual Status scan_anomalies(std::optional<int64_t> since_us, size_t limit,
                                const std::function<void(const StoredRow&)>& fn) = 0;

  // --- model sets (spec.md section 3) ---
  // Saves a new set; a version that exists already is kConflict.
  virtual Status save_model_set(const ModelSetRecord& record) = 0;
  // Every saved set, newest first, without blobs.
  virtual StatusOr<std::vector<ModelSetRecord>> list_model_sets() = 0;
  // One set with its blob; empty when the version is unknown.
  virtual StatusOr<std::optional<ModelSetRecord>> load_model_set(std::string_view version) = 0;
  // Appends to the activation history (the last entry names the active set).
  virtual Status record_activation(const ModelActivation& activation) = 0;
  // The whole activation history, oldest first.
  virtual StatusOr<std::vector<ModelActivation>> activations() = 0;

  // --- small shared settings (the learning mode), so replicas and restarts agree ---
  virtual Status put_setting(std::string_view key, std::string_view value) = 0;
  virtual StatusOr<std::optional<std::string>> get_setting(std::string_view key) = 0;

  // --- the recommendation log ---
  // Stores the rows in one transaction; a repeated recommendation_id is ignored.
  virtual Status log_recommendations(std::span<const RecommendationLogRow> rows) = 0;
  // Every logged recommendation that an execution was later recorded with (joined on
  // recommendation_id; the execution with the lowest id when several were), in log order.
  virtual Status scan_logged_outcomes(
      const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) = 0;

  // --- task embeddings (spec.md sections 3 and 5) ---
  // Known after migrate(): a BLOB (SQLite), pgvector's vector(256) with an HNSW index, or a
  // real[] when the vector extension cannot be created.
  virtual VectorStorage vector_storage() const = 0;
  // Inserts or replaces each execution's embedding, in one transaction.
  virtual Status save_embeddings(std::span<const EmbeddingRecord> rows) = 0;
  // Embeddings of `version` in id order, after `after_id`, at most `limit` (0: all).
  virtual Status scan_embeddings(std::string_view version, int64_t after_id, size_t limit,
                                 const std::function<void(const EmbeddingRecord&)>& fn) = 0;
  // Executions with a task description and no embedding of `version`, in id order.
  virtual Status scan_unembedded(std::string_view version, int64_t after_id, size_t limit,
                                 const std::function<void(const TextRow&)>& fn) = 0;
  // Distinct tasks with an embedding of `version` among executions with id <= max_id (a
  // cached index file is checked against it).
  virtual StatusOr<int64_t> count_embedded_tasks(std::string_view version, int64_t max_id) = 0;
  // The tasks with these keys, with up to `runs_per_task` runs each, in no particular order.
  virtual StatusOr<std::vector<TaskRuns>> task_runs(std::span<const uint64_t> task_keys,
                                                    size_t runs_per_task) = 0;
  // The k tasks nearest to `query` among embeddings of `version`, by the database's own
  // index (pgvector's <=>); kInvalidArgument (field "source") without pgvector.
  virtual StatusOr<std::vector<TaskMatch>> nearest_tasks(std::span<const float> query,
                                                         std::string_view version, size_t k) = 0;
};

// The stable 64-bit key of a task in the vector index and the embeddings table.
uint64_t task_key(std::string_view task_id);

}  // namespace agentlearn

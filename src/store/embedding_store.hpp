#pragma once
// Task embeddings and the similar-task queries over them. An execution's embedding is
// written after the execution was acknowledged (the embedder's queue), so ingest never waits
// for inference; it is rewritten when a new embedding version recomputes it.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace agentlearn {

// One execution's task-text embedding.
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

// The stable 64-bit key of a task in the vector index and the embeddings table.
uint64_t task_key(std::string_view task_id);

class EmbeddingStore {
 public:
  virtual ~EmbeddingStore() = default;
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

}  // namespace agentlearn

#pragma once
// Similar past tasks: the embedder that gives every stored execution with a task description
// its vector, and the in-memory HNSW index over tasks that /tasks/similar and recommendations
// search.
//
// One background thread (idle scheduling class, so ingest and serving never wait for it):
//  - after each record it embeds the new executions (Doc2Vec of the active model set,
//    cached by text hash), stores the vectors with their embedding version, and adds each new
//    task to the index. Ingest itself does no inference.
//  - when a model set with another embedding becomes active, or at start, it builds a new
//    index: from the saved index file when that matches the store, else from the stored
//    vectors of that version, recomputing the ones that are missing or of an older version.
//    The old index keeps answering until the new one is swapped in.
//
// The index holds one vector per task (the first embedded run's), keyed by task_key(task_id):
// a task run by twenty agents is one neighbour, not twenty.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/status.hpp"
#include "index/vector_index.hpp"
#include "metrics/registry.hpp"
#include "service/learning_options.hpp"
#include "service/model_registry.hpp"
#include "store/embedding_store.hpp"

namespace agentlearn {

struct SimilarQuery {
  std::string text;     // q: find tasks like this text
  std::string task_id;  // or: tasks like this stored task (itself left out)
  size_t k = 10;
  std::optional<double> min_similarity;  // default: SimilarityOptions::threshold
  bool database = false;                 // source=database: pgvector answers, not the index
};

struct SimilarTask {
  std::string task_id;
  std::string description;
  double similarity = 0;
  size_t total_runs = 0;
  std::vector<TaskRun> runs;  // the first runs_per_task of them
};

struct SimilarAnswer {
  std::vector<SimilarTask> results;  // most similar first
  std::string embedding_version;
  std::string source;  // "index" or "database"
  // Why there are no results when it is not the threshold (empty otherwise).
  std::string note;
};

struct SimilarityStatus {
  bool ready = false;              // an index answers
  bool building = false;           // a new index is being built
  std::string embedding_version;   // the serving index's
  size_t indexed_tasks = 0;
  size_t memory_bytes = 0;
  int64_t embedded_through_id = 0; // executions up to this id are embedded and indexed
  uint64_t embedded_total = 0;     // vectors computed by this process
  double last_build_seconds = 0;
  std::string last_build_source;   // "file", "store" or ""
};

// The embedding_generator's version in a set ("embedding_generator-<hash>"); empty without one.
std::string embedding_version_of(const ml::ModelSet& set);

class SimilarTasks {
 public:
  SimilarTasks(EmbeddingStore& store, const ModelRegistry& models, SimilarityOptions options,
               metrics::Registry& registry);
  ~SimilarTasks();  // stops the thread and saves the index
  SimilarTasks(const SimilarTasks&) = delete;
  SimilarTasks& operator=(const SimilarTasks&) = delete;

  // Where embedded pages are stored: by default the store's save_embeddings (a transaction
  // and an fsync of its own); the service hands in the group writer's, so the vectors ride
  // in the ingest transactions. Set before start().
  using EmbeddingSink = std::function<Status(std::span<const EmbeddingRecord>)>;
  void set_sink(EmbeddingSink sink) { sink_ = std::move(sink); }

  void start();
  // Stops the thread and saves the index file. Idempotent.
  void stop();
  // New executions were stored: embed them soon. Cheap (the ingest path calls it).
  void poke();
  // Brings the index up to date on the calling thread: the active set's embedding, every
  // stored run embedded with it (a CLI command, a train request that waits, tests).
  Status sync_now();

  // kUnavailable before an index is ready; kNotFound for a task_id without an embedded run;
  // kInvalidArgument (field "source") for source=database without pgvector.
  StatusOr<SimilarAnswer> search(const SimilarQuery& query) const;
  SimilarityStatus status() const;
  const SimilarityOptions& options() const { return options_; }

 private:
  // One embedding version's index, and the model set that embeds queries into its space.
  struct Generation {
    std::shared_ptr<const ml::ModelSet> models;
    std::string version;
    std::shared_ptr<index::HnswIndex> index;
  };

  void loop();
  // One round: a rebuild when the active embedding changed, else (when poked or sweeping)
  // the executions still to embed.
  Status step(bool poked, bool sweep);
  Status rebuild(std::shared_ptr<const ml::ModelSet> models, const std::string& version);
  // Embeds and stores the executions after `after_id` with no vector of gen's version and
  // adds their tasks to gen's index; returns the highest id seen.
  StatusOr<int64_t> embed_pending(Generation& gen, int64_t after_id);
  // Loads the saved index if it matches the store; null when it does not (or is missing).
  std::unique_ptr<index::HnswIndex> load_saved(const std::string& version, int64_t& watermark,
                                               std::string& why) const;
  Status save_index(const Generation& gen, int64_t watermark) const;
  const std::vector<float>& embed_cached(const ml::ModelSet& models, std::string_view text);
  std::shared_ptr<Generation> current() const;
  void publish_gauges();

  EmbeddingStore& store_;
  EmbeddingSink sink_;  // empty: store_.save_embeddings
  const ModelRegistry& models_;
  SimilarityOptions options_;

  mutable std::mutex gen_mu_;  // guards current_ (held only to copy or swap the pointer)
  std::shared_ptr<Generation> current_;

  // Worker-only state (and sync_now's, which holds work_mu_ like the worker does).
  std::mutex work_mu_;
  int64_t cursor_ = 0;  // executions through this id are embedded for current_
  std::chrono::steady_clock::time_point last_sweep_;
  std::unordered_map<uint64_t, std::vector<float>> text_cache_;  // for cache_version_
  std::string cache_version_;
  bool dirty_ = false;  // added since the index file was written

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool poked_ = false;
  std::thread thread_;

  std::atomic<bool> building_{false};
  // Set by stop(): a build of a million vectors (minutes) gives up between batches, so a
  // server asked to stop does not wait for it.
  std::atomic<bool> cancel_{false};
  std::atomic<int64_t> embedded_through_{0};
  std::atomic<double> last_build_seconds_{0};
  mutable std::mutex build_info_mu_;
  std::string last_build_source_;

  // The runs of recently answered tasks, so that a hot task costs no store read (72 rows of
  // a SWE-bench task's runs were a fifth of a recommendation's CPU). An entry is dropped when
  // the embedder sees a new run of its task, and refetched after runs_cache_ttl (runs another
  // replica recorded).
  struct CachedRuns {
    std::shared_ptr<const TaskRuns> runs;
    std::chrono::steady_clock::time_point fetched;
  };
  StatusOr<std::vector<std::shared_ptr<const TaskRuns>>> runs_of(std::span<const uint64_t> keys) const;
  void forget_runs(std::span<const EmbeddingRecord> rows);
  mutable std::shared_mutex runs_mu_;
  mutable std::unordered_map<uint64_t, CachedRuns> runs_cache_;

  struct Gauges {
    std::atomic<size_t> tasks{0};
    std::atomic<size_t> bytes{0};
  };
  std::shared_ptr<Gauges> gauges_ = std::make_shared<Gauges>();
  metrics::Counter& embedded_;
  metrics::Counter& searches_;
};

}  // namespace agentlearn

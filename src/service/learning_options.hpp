#pragma once
// How the service learns (the design's ml_config.yaml keys):
// when the trainer retrains, how a new model set is judged, and how recommendations explore.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "index/vector_index.hpp"
#include "ml/model_params.hpp"
#include "service/thread_priority.hpp"

namespace agentlearn {

// Similar tasks: the embedder and the vector index.
struct SimilarityOptions {
  // /tasks/similar's default min_similarity (config `similarity_threshold`): above 99% of
  // random SWE-bench task pairs with the default embedding (docs/similar-tasks.md).
  double threshold = 0.25;
  // The HNSW index saved between runs, so a restart does not rebuild it (empty: never saved).
  // Checked against the store when loaded and rebuilt if stale.
  std::string index_file;
  bool index_file_set = false;  // configured (even as ""), so no default is derived
  index::HnswOptions hnsw;
  // Similar tasks listed in a recommendation, and runs listed per similar task.
  size_t recommend_k = 3;
  size_t runs_per_task = 20;
  // Threads inserting while the index is rebuilt (the idle scheduling class).
  size_t build_threads = 2;
  // Executions embedded and stored per transaction.
  size_t embed_batch = 256;
  // Tasks whose runs are kept in memory for answers, and for how long at most.
  size_t runs_cache_entries = 50'000;
  std::chrono::milliseconds runs_cache_ttl{30'000};
  // Embeddings kept by text hash (a task run by many agents is embedded once).
  size_t text_cache_entries = 20'000;
  // How often the whole store is checked for executions left unembedded (another replica's
  // ids can commit out of order), besides the new ones after each record.
  std::chrono::milliseconds sweep_interval{600'000};
  // Whether to run the embedder at all (a CLI command answering one question does not).
  bool enabled = true;
  // The embedder's and the index builders' priority (config `background_nice`,
  // `background_idle_class`, shared with the trainer).
  BackgroundPriority priority;
};

struct LearningOptions {
  // Retrain when at least this many executions arrived since the active set's snapshot.
  uint64_t retrain_threshold = 100;
  std::chrono::milliseconds check_interval{300'000};
  // Models scoring below it (AUC or accuracy) are flagged in /models/status and metrics.
  double model_accuracy_target = 0.85;
  // Fewer executions than this: no training; recommendations come from the rules.
  size_t min_training_executions = 50;
  // Share of tasks (by a hash of task_id) every run holds out to evaluate on.
  double holdout_fraction = 0.2;
  // The embedding_generator retrains when the distinct task texts grew by this factor.
  double embedding_regrowth = 1.5;
  // Online mode's exploration: the rate until set through POST /learning/mode, and how many
  // of the top-ranked agents count as plausible.
  double exploration_rate = 0.05;
  size_t plausible_agents = 3;
  // How often a replica looks for a model set another replica activated.
  std::chrono::milliseconds model_poll_interval{10'000};
  // Whether this process trains (a replica may only serve).
  bool train = true;
  // The priority of the trainer and the embedder threads (and of the threads they start:
  // OpenMP's, the index builders'); their number is bounded by models.training_threads and
  // similarity build_threads (config `background_nice`, `background_idle_class`).
  BackgroundPriority background;
  ml::ModelParams models;
  SimilarityOptions similarity;
};

}  // namespace agentlearn

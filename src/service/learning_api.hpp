#pragma once
// LearningApi: the operations the HTTP routes ask of the learning service, and the values
// they answer with. The routes depend on this interface, not on LearningService, so they can
// be tested against a fake and the service can change its insides freely.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/anomaly_explanation.hpp"
#include "service/agent_stats.hpp"
#include "service/analytics.hpp"
#include "service/context_stats.hpp"
#include "service/online_estimate.hpp"
#include "service/learning_mode.hpp"
#include "service/learning_options.hpp"
#include "service/model_registry.hpp"
#include "service/recommender.hpp"
#include "service/rollup_status.hpp"
#include "service/similar_tasks.hpp"
#include "service/trainer.hpp"
// The store's row records the answers carry (never a store or a writer: docs/architecture.md).
#include "store/embedding_store.hpp"
#include "store/execution_store.hpp"
#include "store/group_writer.hpp"
#include "store/model_store.hpp"

namespace agentlearn {

struct HealthReport {
  bool store_connected = false;
  // The write probe (Store::probe_write on the health thread, every write_probe_interval):
  // false until the first probe succeeded, and after one failed (a full disk, a read-only
  // file); `store_write_error` says why.
  bool store_writable = false;
  std::string store_write_error;
  double write_probe_age_seconds = -1;  // since the last probe ended; -1: none yet
  // The store's activation history names a model set (so the models must be loaded to be
  // ready); false for a store that never had one, which is ready on the rules.
  bool model_set_stored = false;
  RollupStatus rollup;
  // Readiness (GET /health/ready): connected, writable, models loaded if any are stored, and
  // the analytics rollup not far behind.
  bool ready() const {
    return store_connected && store_writable && (!model_set_stored || models != nullptr) && !rollup.lagging;
  }
  const char* backend = "";
  double uptime_seconds = 0;
  std::shared_ptr<const ActiveModels> models;  // null: no model set active (rules only)
  VectorStorage vector_storage = VectorStorage::kBlob;
  SimilarityStatus similarity;
};

// One agent's record by task type (GET /agent/{agent_id}/recommendations).
struct TypeRecord {
  std::string task_type;
  size_t runs = 0;
  size_t successes = 0;
  double success_rate = 0;   // the agent's, smoothed toward the field's (others_rate)
  double others_rate = 0;    // every agent's on this type, smoothed
};

struct AgentProfile {
  std::string agent_id;
  size_t runs = 0;
  size_t successes = 0;
  double success_rate = 0;            // smoothed
  std::vector<TypeRecord> strengths;  // types where it beats the field, best first
  std::vector<TypeRecord> weaknesses; // types where the field beats it, worst first
  std::vector<ContextRecord> by_context;  // by context value, the largest lift first
  std::optional<RecommendAnswer> task;  // with a task_description: who should take it
};

struct ModelsStatus {
  std::shared_ptr<const ActiveModels> active;
  std::vector<ModelSetRecord> sets;         // newest first, without blobs
  std::vector<ModelActivation> activations; // oldest first
  TrainingState training;
  std::optional<OnlineFigures> online;  // the active set's; none without one
  double online_max_age_seconds = 0;    // how stale `online` may be
};

// Why a stored run is unusual (GET /anomalies): a sentence and the outcomes that stand out
// against the agent's typical values, from the active set's anomaly detector. Empty (why ""
// and no reasons) when no set is active.
struct AnomalyExplanation {
  std::string why;
  std::vector<ml::AnomalyReason> reasons;
};

struct AgentsPerformanceReport {
  std::vector<AgentPerformance> agents;
  uint64_t total_executions = 0;
  bool exact_percentiles = true;  // false: from the latency sketches (docs/analytics.md)
};

// GET /analytics/dashboard: the figures of a range, and its most recent anomalies.
struct DashboardReport {
  DashboardFigures figures;  // figures.recent_anomalies: newest run first
  std::vector<AnomalyExplanation> why;  // one per recent anomaly (empty without an active set)
};

class LearningApi {
 public:
  virtual ~LearningApi() = default;

  // Stores the executions (all or nothing); `done` runs once they are durable, or refused.
  // When the store is known to be down, refuses at once with kUnavailable.
  virtual void record(std::vector<Execution> records, WriteCallback done) = 0;
  virtual StatusOr<AgentsPerformanceReport> agents_performance(const ExecutionFilter& filter) = 0;
  virtual HealthReport health() const = 0;

  virtual StatusOr<RecommendAnswer> recommend(const RecommendRequest& request) const = 0;
  // kNotFound for an agent without executions.
  virtual StatusOr<AgentProfile> agent_profile(const std::string& agent_id,
                                               const std::optional<RecommendRequest>& task) const = 0;
  virtual StatusOr<std::vector<StoredRow>> anomalies(std::optional<int64_t> since_us, size_t limit) = 0;
  // One explanation per row, in order.
  virtual std::vector<AnomalyExplanation> explain_anomalies(const std::vector<StoredRow>& rows) const = 0;
  virtual StatusOr<ModelsStatus> models_status() = 0;
  virtual Status rollback(const std::string& version) = 0;
  // Starts a training run (kConflict while one runs); `done`, when given, runs when it ends.
  virtual StatusOr<TrainingJob> train(std::string trigger, Trainer::JobCallback done) = 0;
  virtual ModeSetting mode() const = 0;
  // The mode answered now (the setting, or its default given whether models are active).
  virtual LearningMode effective_mode() const = 0;
  virtual StatusOr<ModeSetting> set_mode(std::optional<LearningMode> mode, std::optional<double> exploration_rate) = 0;
  virtual const LearningOptions& learning_options() const = 0;
  virtual StatusOr<SimilarAnswer> similar_tasks(const SimilarQuery& query) const = 0;
  // since and until must be set (the route applies the default range).
  virtual StatusOr<DashboardReport> dashboard(const DashboardQuery& query) = 0;
};

}  // namespace agentlearn

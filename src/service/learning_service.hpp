#pragma once
// LearningService: the business logic behind the API, apart from transport (userver's habit).
// Records executions through the group-commit writer, answers analytics from the store, and
// keeps an eye on the store's health.
#include <atomic>
#include <chrono>
#include <memory>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "metrics/registry.hpp"
#include "service/agent_rules.hpp"
#include "service/agent_stats.hpp"
#include "service/analytics_rollup.hpp"
#include "service/ingest_refusals.hpp"
#include "service/learning_api.hpp"
#include "service/learning_mode.hpp"
#include "service/learning_options.hpp"
#include "service/model_registry.hpp"
#include "service/recommendation_log.hpp"
#include "service/recommender.hpp"
#include "service/similar_tasks.hpp"
#include "service/trainer.hpp"
#include "store/group_writer.hpp"
#include "store/store.hpp"

namespace agentlearn {

struct ServiceOptions {
  std::chrono::milliseconds health_interval{1000};  // how often the store is pinged
  // How often the health thread writes to the store (Store::probe_write) for readiness.
  std::chrono::milliseconds write_probe_interval{5000};
  LearningOptions learning;
  // Start the trainer's thread (the server does; a CLI command working on a store does not).
  bool start_trainer = true;
  // Run analytics rollup rounds on a thread of this process (the server does; a CLI command
  // drains the journal when it closes the store instead: DirectWriter).
  bool start_rollup = true;
  AnalyticsRollupOptions rollup;
  AnalyticsOptions analytics;
  // Log answered recommendations (a CLI command answering one need not).
  bool log_recommendations = true;
  // Distinct agents the metrics name before counting the rest as "other" (metrics_max_agents).
  size_t metrics_max_agents = 100;
};

class LearningService : public LearningApi {
 public:
  LearningService(Store& store, GroupWriter& writer, metrics::Registry& registry, ServiceOptions options = {});
  ~LearningService();
  LearningService(const LearningService&) = delete;
  LearningService& operator=(const LearningService&) = delete;

  // Stores the executions (all or nothing); `done` runs once they are durable, or refused.
  // When the store is known to be down, refuses at once with kUnavailable.
  void record(std::vector<Execution> records, WriteCallback done) override;

  StatusOr<AgentsPerformanceReport> agents_performance(const ExecutionFilter& filter) override;
  // Defined in service/dashboard.cpp.
  StatusOr<DashboardReport> dashboard(const DashboardQuery& query) override;

  HealthReport health() const override;

  // --- learning ---
  StatusOr<RecommendAnswer> recommend(const RecommendRequest& request) const override;
  // kNotFound for an agent without executions.
  StatusOr<AgentProfile> agent_profile(const std::string& agent_id, const std::optional<RecommendRequest>& task) const override;
  StatusOr<std::vector<StoredRow>> anomalies(std::optional<int64_t> since_us, size_t limit) override;
  std::vector<AnomalyExplanation> explain_anomalies(const std::vector<StoredRow>& rows) const override;
  StatusOr<ModelsStatus> models_status() override;
  Status rollback(const std::string& version) override;
  // Starts a training run (kConflict while one runs); `done` runs when it ends.
  StatusOr<TrainingJob> train(std::string trigger, Trainer::JobCallback done = {}) override;
  // A training run on the calling thread (CLI `train --db`).
  TrainingJob train_now();
  ModeSetting mode() const override { return modes_.get(); }
  // The mode answered now (the setting, or its default given whether models are active).
  LearningMode effective_mode() const override { return modes_.get().effective(models_.active() != nullptr); }
  StatusOr<ModeSetting> set_mode(std::optional<LearningMode> mode, std::optional<double> exploration_rate) override;
  const LearningOptions& learning_options() const override { return options_.learning; }
  // Writes queued recommendation-log rows now (tests).
  void flush_recommendation_log();

  // --- similar tasks ---
  StatusOr<SimilarAnswer> similar_tasks(const SimilarQuery& query) const override { return similar_.search(query); }
  // Brings the similar-task index up to date on the calling thread (CLI commands on a store).
  Status sync_similar_tasks() { return similar_.sync_now(); }

 private:
  void monitor_health();
  // Puts the nearest past tasks into a recommendation and its reasoning.
  void attach_similar(const std::string& text, RecommendAnswer& answer) const;
  Status load_rules();

  Store& store_;
  GroupWriter& writer_;
  ServiceOptions options_;
  std::chrono::steady_clock::time_point started_;
  // Shared with the metrics callback, which may outlive this object.
  std::shared_ptr<std::atomic<bool>> store_connected_;
  // The last write probe's outcome (written by the health thread, read by health()).
  struct WriteProbe {
    bool writable = false;
    bool model_set_stored = false;
    std::string error = "not probed yet";
    std::chrono::steady_clock::time_point at{};
    bool done = false;
  };
  void probe_store_writes();
  mutable std::mutex probe_mu_;
  WriteProbe probe_;
  std::shared_ptr<std::atomic<bool>> store_writable_ = std::make_shared<std::atomic<bool>>(false);
  metrics::Counter& recorded_;
  metrics::Counter& duplicates_;
  IngestRefusals refused_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool ping_now_ = false;  // a write failed: check the store before the next interval
  std::thread health_thread_;

  AgentRules rules_;
  ContextStats contexts_;  // profile.by_context, kept with the rules
  ModelRegistry models_;
  ModeSwitch modes_;
  std::unique_ptr<RecommendationLog> log_;
  Recommender recommender_;
  OnlineEstimate online_;
  Trainer trainer_;
  SimilarTasks similar_;  // after models_: stopped and destroyed before it
  metrics::Counter& anomalies_;
  Analytics analytics_;
  AnalyticsRollup rollup_;
};

}  // namespace agentlearn

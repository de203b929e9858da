#pragma once
// A LearningApi whose answers the test sets, which remembers what it was asked, and which
// throws from the operation named in `throw_in` (how a unit test injects a bug without any
// route or flag in the product that could throw).
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/learning_api.hpp"

namespace agentlearn::testing {

class FakeLearningApi : public LearningApi {
 public:
  // The text of the exception thrown; the 500's body must not show it.
  static constexpr const char* kSecret = "secret-detail-of-the-fault";

  // --- answers ---
  WriteOutcome record_outcome = ok_outcome(1);
  StatusOr<AgentsPerformanceReport> agents = AgentsPerformanceReport{};
  StatusOr<DashboardReport> dashboard_report = DashboardReport{};
  HealthReport health_report = healthy();
  StatusOr<RecommendAnswer> recommend_answer = RecommendAnswer{};
  StatusOr<AgentProfile> profile = AgentProfile{};
  std::vector<AnomalyExplanation> anomaly_explanations;
  StatusOr<std::vector<StoredRow>> anomaly_rows = std::vector<StoredRow>{};
  StatusOr<ModelsStatus> models = ModelsStatus{};
  Status rollback_status;
  StatusOr<TrainingJob> train_job = TrainingJob{};
  TrainingJob finished_job;  // what a waited-for run reports when it ends
  ModeSetting mode_setting;
  StatusOr<ModeSetting> set_mode_answer = ModeSetting{};
  LearningOptions options;
  StatusOr<SimilarAnswer> similar = SimilarAnswer{};
  // The operation that throws ("record", "recommend", ...), or empty; `throw_non_std` throws
  // an int instead of a std::exception.
  std::string throw_in;
  bool throw_non_std = false;

  // --- what it was asked (read after the response has arrived) ---
  struct Calls {
    std::vector<std::string> ops;  // every operation, in order
    std::vector<Execution> records;
    ExecutionFilter filter;
    DashboardQuery dashboard;
    RecommendRequest recommend;
    std::string agent_id;
    std::optional<RecommendRequest> profile_task;
    std::optional<int64_t> since_us;
    size_t limit = 0;
    std::string rollback_version;
    std::string train_trigger;
    std::optional<LearningMode> set_mode;
    std::optional<double> set_rate;
    SimilarQuery similar;
  };
  Calls calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  size_t count(const std::string& op) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& o : calls_.ops) n += o == op;
    return n;
  }

  static WriteOutcome ok_outcome(size_t n) {
    WriteOutcome o;
    for (size_t i = 0; i < n; ++i) o.results.push_back({static_cast<int64_t>(i + 1), false, std::nullopt, std::nullopt});
    return o;
  }
  static HealthReport healthy() {
    HealthReport h;
    h.store_connected = true;
    h.store_writable = true;
    h.write_probe_age_seconds = 0.5;
    h.backend = "fake";
    h.uptime_seconds = 1.5;
    return h;
  }

  // --- LearningApi ---
  void record(std::vector<Execution> records, WriteCallback done) override {
    enter("record", [&](Calls& c) { c.records = records; });
    // The real service answers from the writer's completion thread; the route must not care.
    WriteOutcome outcome = record_outcome;
    if (outcome.status.ok() && outcome.conflicts.empty() && outcome.results.size() > records.size()) {
      outcome.results.resize(records.size());
    }
    done(std::move(outcome));
  }
  StatusOr<AgentsPerformanceReport> agents_performance(const ExecutionFilter& filter) override {
    enter("agents_performance", [&](Calls& c) { c.filter = filter; });
    return agents;
  }
  StatusOr<DashboardReport> dashboard(const DashboardQuery& query) override {
    enter("dashboard", [&](Calls& c) {
      c.filter = query.filter;
      c.dashboard = query;
    });
    return dashboard_report;
  }
  HealthReport health() const override {
    enter("health", [](Calls&) {});
    return health_report;
  }
  StatusOr<RecommendAnswer> recommend(const RecommendRequest& request) const override {
    enter("recommend", [&](Calls& c) { c.recommend = request; });
    return recommend_answer;
  }
  StatusOr<AgentProfile> agent_profile(const std::string& agent_id,
                                       const std::optional<RecommendRequest>& task) const override {
    enter("agent_profile", [&](Calls& c) {
      c.agent_id = agent_id;
      c.profile_task = task;
    });
    return profile;
  }
  StatusOr<std::vector<StoredRow>> anomalies(std::optional<int64_t> since_us, size_t limit) override {
    enter("anomalies", [&](Calls& c) {
      c.since_us = since_us;
      c.limit = limit;
    });
    return anomaly_rows;
  }
  std::vector<AnomalyExplanation> explain_anomalies(const std::vector<StoredRow>& rows) const override {
    std::vector<AnomalyExplanation> out(rows.size());
    for (size_t i = 0; i < rows.size() && i < anomaly_explanations.size(); ++i) out[i] = anomaly_explanations[i];
    return out;
  }
  StatusOr<ModelsStatus> models_status() override {
    enter("models_status", [](Calls&) {});
    return models;
  }
  Status rollback(const std::string& version) override {
    enter("rollback", [&](Calls& c) { c.rollback_version = version; });
    return rollback_status;
  }
  StatusOr<TrainingJob> train(std::string trigger, Trainer::JobCallback done) override {
    enter("train", [&](Calls& c) { c.train_trigger = trigger; });
    if (train_job.ok() && done) done(finished_job);
    return train_job;
  }
  ModeSetting mode() const override {
    enter("mode", [](Calls&) {});
    return mode_setting;
  }
  LearningMode effective_mode() const override { return mode_setting.effective(false); }
  StatusOr<ModeSetting> set_mode(std::optional<LearningMode> mode, std::optional<double> rate) override {
    enter("set_mode", [&](Calls& c) {
      c.set_mode = mode;
      c.set_rate = rate;
    });
    return set_mode_answer;
  }
  const LearningOptions& learning_options() const override { return options; }
  StatusOr<SimilarAnswer> similar_tasks(const SimilarQuery& query) const override {
    enter("similar_tasks", [&](Calls& c) { c.similar = query; });
    return similar;
  }

 private:
  template <typename Fn>
  void enter(const std::string& op, Fn&& note) const {
    {
      std::lock_guard lock(mu_);
      calls_.ops.push_back(op);
      note(calls_);
    }
    if (throw_in == op) {
      if (throw_non_std) throw 42;
      throw std::runtime_error(std::string("fake failure in ") + op + ": " + kSecret);
    }
  }

  mutable std::mutex mu_;
  mutable Calls calls_;
};

}  // namespace agentlearn::testing

#pragma once
// anomaly_detector: how unusual an execution's outcome is, from an Isolation Forest over cheap
// outcome features: log time, log cost, success, and how far time and cost sit from that
// agent's usual values and from that (agent, task_type)'s. Cheap enough for the ingest path: a
// few hash lookups and 100 short tree walks.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/dense_matrix.hpp"
#include "ml/isolation_forest.hpp"
#include "ml/task_features.hpp"

namespace agentlearn::ml {

struct AnomalyDetectorParams {
  IsolationForestParams forest;
  // Share of training runs scoring above the flagging threshold (the threshold is that
  // quantile of the training scores).
  double contamination = 0.02;
  double smoothing = 5;  // pseudo-runs pulling a small group's mean toward its parent's
};

class AnomalyDetector {
 public:
  static constexpr size_t kFeatureCount = 7;

  static StatusOr<AnomalyDetector> train(std::span<const Execution> rows, const AnomalyDetectorParams& params);

  // Whether the training runs hold history for `e`: its agent, and its agent on its task
  // type when it has one. A run without history is not scored: far from a baseline the set
  // never saw is not unusual, only unknown (importing another workload into a trained server
  // once flagged 10,588 of 12,000 runs).
  bool has_history(const Execution& e) const;
  // Isolation Forest score in (0, 1]; higher is more unusual. Thread-safe.
  double score(const Execution& e) const;
  bool is_anomaly(double score) const { return score >= threshold_; }
  double threshold() const { return threshold_; }
  // The outcome features of `e` (kFeatureCount values).
  void features(const Execution& e, std::span<float> out) const;
  static std::vector<std::string> feature_names();

  std::string serialize() const;
  static StatusOr<AnomalyDetector> deserialize(std::string_view blob);

 private:
  AnomalyDetector() = default;
  struct Baseline {
    float log_time = 0;
    float log_cost = kMissing;
  };
  Baseline baseline(uint64_t key, const Baseline& parent) const;

  AnomalyDetectorParams params_;
  std::optional<IsolationForest> forest_;  // always set once trained or loaded
  double threshold_ = 1.0;
  Baseline global_;
  std::unordered_map<uint64_t, OutcomeTally> tallies_;  // by agent and by (agent, task_type)
};

}  // namespace agentlearn::ml

#pragma once
// Per-agent performance figures (GET /agents/performance), aggregated from StatsRows.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/execution_store.hpp"

namespace agentlearn {

// The q-th quantile (0..1) of sorted values by linear interpolation between closest ranks,
// as numpy.percentile's default ("linear") computes it. `sorted` must not be empty.
double percentile_linear(const std::vector<double>& sorted, double q);

struct AgentPerformance {
  std::string agent_id;
  uint64_t executions = 0;
  uint64_t successes = 0;
  double success_rate = 0;
  double time_mean = 0, time_p50 = 0, time_p95 = 0, time_p99 = 0;
  std::optional<double> mean_cost_usd;  // over the runs that reported metrics.cost_usd
  uint64_t cost_samples = 0;
  int64_t last_seen_us = 0;
  uint64_t anomalies = 0;
  uint64_t scored = 0;  // runs the anomaly detector scored (a run without history is not)
};

// Collects rows, then computes each agent's figures; agents come out sorted by id.
class AgentStatsAccumulator {
 public:
  void add(const StatsRow& row);
  std::vector<AgentPerformance> finish();
  uint64_t total() const { return total_; }

 private:
  struct Acc {
    std::vector<double> times;
    uint64_t successes = 0;
    double cost_sum = 0;
    uint64_t cost_n = 0;
    int64_t last_seen_us = INT64_MIN;
    uint64_t anomalies = 0;
  };
  std::map<std::string, Acc, std::less<>> agents_;
  uint64_t total_ = 0;
};

}  // namespace agentlearn

#pragma once
// Per-agent performance figures (GET /agents/performance) and the filter that selects their runs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agentlearn {

// Which runs an analytics answer covers; every field unset selects them all.
struct ExecutionFilter {
  std::optional<int64_t> since_us;  // inclusive
  std::optional<int64_t> until_us;  // exclusive
  std::optional<std::string> task_type;
  std::optional<std::string> agent_id;
};

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

}  // namespace agentlearn

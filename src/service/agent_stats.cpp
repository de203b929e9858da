#include "service/agent_stats.hpp"

#include <algorithm>
#include <cmath>

namespace agentlearn {

double percentile_linear(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

void AgentStatsAccumulator::add(const StatsRow& row) {
  auto it = agents_.find(row.agent_id);
  if (it == agents_.end()) it = agents_.emplace(std::string(row.agent_id), Acc{}).first;
  Acc& a = it->second;
  a.times.push_back(row.execution_time);
  a.successes += row.success ? 1 : 0;
  if (row.cost_usd) {
    a.cost_sum += *row.cost_usd;
    ++a.cost_n;
  }
  a.last_seen_us = std::max(a.last_seen_us, row.timestamp_us);
  a.anomalies += row.anomaly ? 1 : 0;
  ++total_;
}

std::vector<AgentPerformance> AgentStatsAccumulator::finish() {
  std::vector<AgentPerformance> out;
  out.reserve(agents_.size());
  for (auto& [id, a] : agents_) {
    AgentPerformance p;
    p.agent_id = id;
    p.executions = a.times.size();
    p.successes = a.successes;
    p.success_rate = static_cast<double>(a.successes) / static_cast<double>(p.executions);
    double sum = 0;
    for (double t : a.times) sum += t;
    p.time_mean = sum / static_cast<double>(p.executions);
    std::sort(a.times.begin(), a.times.end());
    p.time_p50 = percentile_linear(a.times, 0.50);
    p.time_p95 = percentile_linear(a.times, 0.95);
    p.time_p99 = percentile_linear(a.times, 0.99);
    if (a.cost_n) p.mean_cost_usd = a.cost_sum / static_cast<double>(a.cost_n);
    p.cost_samples = a.cost_n;
    p.last_seen_us = a.last_seen_us;
    p.anomalies = a.anomalies;
    out.push_back(std::move(p));
    std::vector<double>().swap(a.times);
  }
  agents_.clear();
  return out;
}

}  // namespace agentlearn

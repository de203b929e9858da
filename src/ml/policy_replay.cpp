#include "ml/policy_replay.hpp"

#include <cmath>
#include <limits>

namespace agentlearn::ml {

double PolicyOutcomes::mean_success() const {
  if (success.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (double s : success) sum += s;
  return sum / static_cast<double>(success.size());
}

double PolicyOutcomes::mean_cost() const {
  double sum = 0;
  size_t n = 0;
  for (double c : cost) {
    if (std::isfinite(c)) sum += c, ++n;
  }
  return n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

std::vector<PolicyOutcomes> score_policies(std::span<const std::unique_ptr<const RoutingPolicy>> policies,
                                           std::span<const ReplayedTask> tasks, const Objective& objective) {
  std::vector<PolicyOutcomes> out(policies.size());
  for (size_t p = 0; p < policies.size(); ++p) {
    PolicyOutcomes& o = out[p];
    o.policy = policies[p]->name();
    o.success.reserve(tasks.size());
    o.cost.reserve(tasks.size());
    o.pick.reserve(tasks.size());
    for (const ReplayedTask& t : tasks) {
      const size_t i = rank_candidates(policies[p]->estimate(t.estimate), objective).front().index;
      o.pick.push_back(i);
      o.success.push_back(t.success[i]);
      o.cost.push_back(t.cost[i]);
    }
  }
  return out;
}

double paired_standard_error(std::span<const double> a, std::span<const double> b) {
  const size_t n = std::min(a.size(), b.size());
  if (n < 2) return 0;
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += a[i] - b[i];
  mean /= static_cast<double>(n);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += (a[i] - b[i] - mean) * (a[i] - b[i] - mean);
  return std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n));
}

}  // namespace agentlearn::ml

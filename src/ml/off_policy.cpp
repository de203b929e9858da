#include "ml/off_policy.hpp"

namespace agentlearn::ml {

OffPolicyEstimate estimate_policy(std::span<const LoggedDecision> decisions) {
  OffPolicyEstimate e;
  double weighted = 0, weights = 0, logged = 0;
  for (const auto& d : decisions) {
    if (!(d.propensity > 0 && d.propensity <= 1)) continue;
    ++e.decisions;
    logged += d.reward;
    if (d.chosen != d.target) continue;
    ++e.matched;
    weighted += d.reward / d.propensity;
    weights += 1 / d.propensity;
  }
  if (e.decisions == 0) return e;
  const double n = static_cast<double>(e.decisions);
  e.logged_reward = logged / n;
  e.ips = weighted / n;
  e.snips = weights > 0 ? weighted / weights : 0;
  return e;
}

}  // namespace agentlearn::ml

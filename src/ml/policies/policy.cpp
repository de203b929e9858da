#include "ml/policies/policy.hpp"

#include <cmath>

namespace agentlearn::ml {

std::vector<CandidateScoreInput> RoutingPolicy::estimate(const TaskEstimate& task) const {
  std::vector<CandidateScoreInput> out = estimate_candidates(task);
  for (size_t i = 0; i < out.size() && i < task.features.rows(); ++i) {
    out[i].typical_cost = std::exp(features_.agent_group(task.features.row(i), 0).mean_log_cost);  // NaN: unknown
  }
  return out;
}

}  // namespace agentlearn::ml

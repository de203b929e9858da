#include "ml/policies/agent_group_rule.hpp"

#include <cmath>

namespace agentlearn::ml {

AgentGroupRule::AgentGroupRule(const FeatureBuilder& features, size_t group)
    : RoutingPolicy(group == 0 ? "best_single" : features.agent_group_name(group), features), group_(group) {}

std::string AgentGroupRule::description() const {
  if (group_ == 0) return "the agent with the best record over all tasks";
  return "the agent with the best record per " + features().agent_group_name(group_);
}

std::vector<CandidateScoreInput> AgentGroupRule::estimate_candidates(const TaskEstimate& task) const {
  std::vector<CandidateScoreInput> out;
  out.reserve(task.features.rows());
  for (size_t i = 0; i < task.features.rows(); ++i) {
    const FeatureBuilder::GroupOutcome g = features().agent_group(task.features.row(i), group_);
    out.push_back({g.success_rate, std::exp(g.mean_log_time), std::exp(g.mean_log_cost)});  // exp(NaN) is NaN
  }
  return out;
}

}  // namespace agentlearn::ml

#pragma once
// The rules: "the best agent per <group>", where the group is the agent alone (the best
// single agent), the task's task_type, or its value of one categorical context member. Each
// estimate is the agent's smoothed record in that group, read from the candidate's feature
// row (FeatureBuilder::agent_group): success rate, and the geometric mean time and cost of
// its runs there. Smoothing pulls a small group toward the agent's overall record, so an
// agent seen twice in a group does not outrank one seen a hundred times.
#include "ml/policies/policy.hpp"

namespace agentlearn::ml {

class AgentGroupRule final : public RoutingPolicy {
 public:
  // `group` indexes features.agent_group_name(); the policy's name is "best_single" for
  // group 0 and the group's name otherwise.
  AgentGroupRule(const FeatureBuilder& features, size_t group);
  std::string description() const override;

 protected:
  std::vector<CandidateScoreInput> estimate_candidates(const TaskEstimate& task) const override;

 private:
  size_t group_;
};

}  // namespace agentlearn::ml

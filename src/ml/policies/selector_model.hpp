#pragma once
// The model: the agent selector's P(success) and the performance predictor's time and cost,
// both trained on every feature (the rules' group records among them, the task text through
// its classified type).
#include "ml/policies/policy.hpp"

namespace agentlearn::ml {

class SelectorModel final : public RoutingPolicy {
 public:
  explicit SelectorModel(const FeatureBuilder& features) : RoutingPolicy("model", features) {}
  std::string description() const override;

 protected:
  std::vector<CandidateScoreInput> estimate_candidates(const TaskEstimate& task) const override;
};

}  // namespace agentlearn::ml

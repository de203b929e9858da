#pragma once
// The ensemble: the mean of every other policy's success probability (the best single
// agent, each one-field rule, the model), with the model's time and cost. Each member errs
// on different tasks, so their mean varies less than any one of them: on small data the
// rules and the model are close, and choosing one of them by a noisy figure loses more than
// averaging them does.
#include <memory>
#include <vector>

#include "ml/policies/policy.hpp"

namespace agentlearn::ml {

class Ensemble final : public RoutingPolicy {
 public:
  // `members` must include the model (its time and cost are the ensemble's).
  Ensemble(const FeatureBuilder& features, std::vector<std::unique_ptr<const RoutingPolicy>> members);
  std::string description() const override;

 protected:
  std::vector<CandidateScoreInput> estimate_candidates(const TaskEstimate& task) const override;

 private:
  std::vector<std::unique_ptr<const RoutingPolicy>> members_;
};

}  // namespace agentlearn::ml

#include "ml/policies/selector_model.hpp"

#include <cmath>

namespace agentlearn::ml {

std::string SelectorModel::description() const {
  return "the agent selector's success probability with the performance predictor's time and cost";
}

std::vector<CandidateScoreInput> SelectorModel::estimate_candidates(const TaskEstimate& task) const {
  std::vector<CandidateScoreInput> out;
  out.reserve(task.candidates.size());
  for (const CandidateEstimate& c : task.candidates) {
    out.push_back({c.success_probability, std::exp(static_cast<double>(c.log_time)),
                   std::exp(static_cast<double>(c.log_cost))});
  }
  return out;
}

}  // namespace agentlearn::ml

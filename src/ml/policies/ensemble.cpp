#include "ml/policies/ensemble.hpp"

namespace agentlearn::ml {

Ensemble::Ensemble(const FeatureBuilder& features, std::vector<std::unique_ptr<const RoutingPolicy>> members)
    : RoutingPolicy("ensemble", features), members_(std::move(members)) {}

std::string Ensemble::description() const {
  std::string names;
  for (const auto& m : members_) names += (names.empty() ? "" : ", ") + m->name();
  return "the mean success probability of " + names + ", with the model's time and cost";
}

std::vector<CandidateScoreInput> Ensemble::estimate_candidates(const TaskEstimate& task) const {
  std::vector<CandidateScoreInput> out;
  for (const auto& m : members_) {
    std::vector<CandidateScoreInput> e = m->estimate(task);
    if (out.empty()) out.assign(e.size(), CandidateScoreInput{0, 0, 0});
    for (size_t i = 0; i < e.size(); ++i) {
      out[i].success_probability += e[i].success_probability / static_cast<double>(members_.size());
      if (m->name() == "model") {
        out[i].predicted_time = e[i].predicted_time;
        out[i].predicted_cost = e[i].predicted_cost;
      }
    }
  }
  return out;
}

}  // namespace agentlearn::ml

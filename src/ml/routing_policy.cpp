#include "ml/routing_policy.hpp"

#include <algorithm>
#include <cmath>

namespace agentlearn::ml {

std::vector<RankedCandidate> rank_candidates(std::span<const CandidateScoreInput> candidates, const Objective& objective) {
  std::vector<RankedCandidate> out(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    const bool has_cost = std::isfinite(c.predicted_cost), has_time = std::isfinite(c.predicted_time);
    double score = c.success_probability;
    if (has_cost) score -= objective.cost_weight * c.predicted_cost;
    if (has_time) score -= objective.time_weight * c.predicted_time;
    bool within = true;
    if (objective.max_cost && has_cost && c.predicted_cost > *objective.max_cost) within = false;
    if (objective.max_time && has_time && c.predicted_time > *objective.max_time) within = false;
    out[i] = {i, score, within};
  }
  std::stable_sort(out.begin(), out.end(), [&](const RankedCandidate& a, const RankedCandidate& b) {
    if (a.within_limits != b.within_limits) return a.within_limits;
    if (a.score != b.score) return a.score > b.score;
    return candidates[a.index].success_probability > candidates[b.index].success_probability;
  });
  return out;
}

}  // namespace agentlearn::ml

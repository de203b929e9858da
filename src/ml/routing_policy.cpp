#include "ml/routing_policy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace agentlearn::ml {

std::vector<RankedCandidate> rank_candidates(std::span<const CandidateScoreInput> candidates, const Objective& objective) {
  std::vector<RankedCandidate> out(candidates.size());
  // relative_cost_weight prices cost in units of the likeliest candidate's typical cost.
  double cost_weight = objective.cost_weight;
  if (objective.relative_cost_weight > 0 && !candidates.empty()) {
    size_t likeliest = 0;
    for (size_t i = 1; i < candidates.size(); ++i) {
      if (candidates[i].success_probability > candidates[likeliest].success_probability) likeliest = i;
    }
    const double yardstick = candidates[likeliest].typical_cost;
    if (std::isfinite(yardstick) && yardstick > 0) cost_weight += objective.relative_cost_weight / yardstick;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    const bool has_cost = std::isfinite(c.predicted_cost), has_time = std::isfinite(c.predicted_time);
    double score = c.success_probability;
    if (has_cost) score -= cost_weight * c.predicted_cost;
    if (has_time) score -= objective.time_weight * c.predicted_time;
    bool within = true;
    if (objective.max_cost && has_cost && c.predicted_cost > *objective.max_cost) within = false;
    if (objective.max_time && has_time && c.predicted_time > *objective.max_time) within = false;
    out[i] = {i, score, within};
  }
  // max_quality_loss: the band of candidates (within the limits) close enough to the best.
  std::vector<char> in_band(candidates.size(), 0);
  if (objective.max_quality_loss) {
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& r : out) {
      if (r.within_limits) best = std::max(best, candidates[r.index].success_probability);
    }
    for (const auto& r : out) {
      // A hair of slack, so that 0.80 - 0.10 includes 0.70 as a person means it.
      in_band[r.index] =
          r.within_limits && candidates[r.index].success_probability >= best - *objective.max_quality_loss - 1e-9;
    }
  }
  auto cost_of = [&](size_t i) {
    const double c = candidates[i].predicted_cost;
    return std::isfinite(c) ? c : std::numeric_limits<double>::infinity();
  };
  std::stable_sort(out.begin(), out.end(), [&](const RankedCandidate& a, const RankedCandidate& b) {
    if (a.within_limits != b.within_limits) return a.within_limits;
    if (in_band[a.index] != in_band[b.index]) return in_band[a.index] > in_band[b.index];
    if (in_band[a.index] && cost_of(a.index) != cost_of(b.index)) return cost_of(a.index) < cost_of(b.index);
    if (a.score != b.score) return a.score > b.score;
    return candidates[a.index].success_probability > candidates[b.index].success_probability;
  });
  return out;
}

}  // namespace agentlearn::ml

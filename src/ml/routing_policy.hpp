#pragma once
// How candidates are ranked once the models have estimated them: expected utility, that is
// P(success) minus the caller's price for predicted cost and time (the request's
// `objective`). One function, used by the service and by `agentlearn evaluate`, so what is
// measured offline is what the service answers.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace agentlearn::ml {

struct Objective {
  double cost_weight = 0;  // utility given up per predicted USD
  double time_weight = 0;  // utility given up per predicted second
  std::optional<double> max_cost;  // candidates predicted above it rank after all others
  std::optional<double> max_time;
  bool success_only() const { return cost_weight == 0 && time_weight == 0 && !max_cost && !max_time; }
};

// What the ranking needs of one candidate (the models' estimate, or the rules' rate).
struct CandidateScoreInput {
  double success_probability = 0;
  double predicted_time = 0;  // seconds; NaN when unknown
  double predicted_cost = 0;  // USD; NaN when unknown (counts as free and within max_cost)
};

struct RankedCandidate {
  size_t index = 0;    // into the input
  double score = 0;    // the utility
  bool within_limits = true;
};

// Candidates best first: those within max_cost/max_time before the others, then by utility,
// then by success probability, then by input order (deterministic).
std::vector<RankedCandidate> rank_candidates(std::span<const CandidateScoreInput> candidates, const Objective& objective);

}  // namespace agentlearn::ml

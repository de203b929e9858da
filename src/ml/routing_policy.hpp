#pragma once
// How candidates are ranked once the models have estimated them: expected utility, that is
// P(success) minus the caller's price for predicted cost and time (the request's
// `objective`). One function, used by the service and by `agentlearn evaluate`, so what is
// measured offline is what the service answers.
#include <cstddef>
#include <limits>
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
  // Scale-free forms, for a user who does not know the prices:
  // utility given up per unit of cost relative to the typical cost of the likeliest
  // candidate (the agent with the highest estimated success): 0.1 means a candidate as dear
  // as that agent usually is gives up 0.1 of success.
  double relative_cost_weight = 0;
  // The cheapest candidate whose estimated success is within this much (a probability) of
  // the best candidate's wins; the rest follow by utility.
  std::optional<double> max_quality_loss;
  bool success_only() const {
    return cost_weight == 0 && time_weight == 0 && !max_cost && !max_time && relative_cost_weight == 0 &&
           !max_quality_loss;
  }
};

// What the ranking needs of one candidate (the models' estimate, or the rules' rate).
struct CandidateScoreInput {
  double success_probability = 0;
  double predicted_time = 0;  // seconds; NaN when unknown
  double predicted_cost = 0;  // USD; NaN when unknown (counts as free and within max_cost)
  // The agent's usual cost over all its runs (USD; NaN unknown): the yardstick of
  // relative_cost_weight.
  double typical_cost = std::numeric_limits<double>::quiet_NaN();
};

struct RankedCandidate {
  size_t index = 0;    // into the input
  double score = 0;    // the utility
  bool within_limits = true;
};

// Candidates best first: those within max_cost/max_time before the others; with
// max_quality_loss, those within it of the best success probability (among the candidates
// within the limits) next, cheapest first (an unknown cost last); then by utility, then by
// success probability, then by input order (deterministic).
std::vector<RankedCandidate> rank_candidates(std::span<const CandidateScoreInput> candidates, const Objective& objective);

}  // namespace agentlearn::ml

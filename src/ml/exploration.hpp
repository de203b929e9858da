#pragma once
// Online mode's exploration: epsilon-greedy over the plausible head of a
// ranking. With probability 1 - rate the top candidate; with probability rate one of the
// top `plausible` uniformly (the top one included), so a clearly bad agent is never tried
// and every choice has a known propensity for inverse-propensity evaluation.
#include <cstddef>
#include <cstdint>

namespace agentlearn::ml {

struct ExplorationChoice {
  size_t position = 0;     // in the ranking; 0 is the greedy choice
  double propensity = 1;   // P(this position) under the policy
  bool explored = false;   // an exploration draw picked something other than the top
};

// `random_bits`: 64 uniformly random bits (the caller's generator, so tests can fix them).
ExplorationChoice epsilon_greedy(size_t ranked, double rate, size_t plausible, uint64_t random_bits);

// P(position) under the same policy, for scoring logged decisions.
double epsilon_greedy_propensity(size_t position, size_t ranked, double rate, size_t plausible);

}  // namespace agentlearn::ml

#pragma once
// Off-policy evaluation of logged recommendations: online mode logs each answered agent with
// the probability the policy gave it; once the execution that followed is recorded, another
// deterministic policy's success rate can be estimated from those logs alone, by inverse
// propensity scoring (Horvitz-Thompson) and its self-normalised variant, without ever having
// run that policy.
#include <cstddef>
#include <span>
#include <string>

namespace agentlearn::ml {

struct LoggedDecision {
  std::string chosen;        // the agent the logging policy answered
  std::string target;        // the agent the evaluated policy would answer
  double propensity = 1;     // P(chosen) under the logging policy
  double reward = 0;         // the outcome (1 = success)
};

struct OffPolicyEstimate {
  size_t decisions = 0;  // logged decisions used
  size_t matched = 0;    // where the evaluated policy agrees with the logged choice
  double logged_reward = 0;  // mean reward of what was actually answered
  double ips = 0;            // (1/n) sum 1[chosen = target] r / p
  double snips = 0;          // the same divided by (1/n) sum 1[chosen = target] / p
};

// Decisions with a propensity outside (0, 1] are skipped (not randomised, or corrupt).
OffPolicyEstimate estimate_policy(std::span<const LoggedDecision> decisions);

}  // namespace agentlearn::ml

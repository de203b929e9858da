#pragma once
// Scoring routing policies on tasks whose outcomes are known: for each task, the agents that
// ran it are the candidates, each policy's pick (by the objective) is scored by that agent's
// real outcome. Used on held-out tasks by `agentlearn evaluate` and the trainer's held-out
// report, and on out-of-fold training tasks by the policy selection, so every figure of a
// policy comes from the same code.
//
// Policies are compared on the same tasks, so their difference has a paired standard error:
// the spread of the per-task differences over sqrt(tasks). Two policies that pick the same
// agent on most tasks differ by little and with a small error; comparing their two separate
// errors instead would hide a real difference in noise.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ml/policies/policy.hpp"
#include "ml/routing_policy.hpp"
#include "ml/task_estimate.hpp"

namespace agentlearn::ml {

// One task as the policies see it, with what each candidate really did.
struct ReplayedTask {
  TaskEstimate estimate;        // one candidate per agent that ran the task
  std::vector<double> success;  // per candidate: the share of its runs that succeeded
  std::vector<double> cost;     // per candidate: the mean USD of its runs with a cost, NaN none
};

// What one policy's picks achieved, task by task (in the order given).
struct PolicyOutcomes {
  std::string policy;
  std::vector<double> success;
  std::vector<double> cost;  // NaN where the picked agent's cost is unknown
  std::vector<size_t> pick;  // the candidate picked
  double mean_success() const;
  double mean_cost() const;  // over the tasks with a known cost; NaN when none
};

// Each policy's outcomes on every task, in the order of `policies`.
std::vector<PolicyOutcomes> score_policies(std::span<const std::unique_ptr<const RoutingPolicy>> policies,
                                           std::span<const ReplayedTask> tasks, const Objective& objective);

// The standard error of mean(a - b) over paired samples (0 for fewer than two).
double paired_standard_error(std::span<const double> a, std::span<const double> b);

}  // namespace agentlearn::ml

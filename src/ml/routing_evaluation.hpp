#pragma once
// Offline evaluation of routing (`agentlearn evaluate`): replays recorded executions through
// the code the service answers with (ModelSet::train, ModelSet::estimate, the policies of
// ml/policies/, rank_candidates), split by task (tasks with the same text share a fold): for
// each held-out task the agents that ran it are the candidates, each policy picks one, and the
// pick is scored by that agent's real outcome on the task. "Routed" is the policy each fold's
// set chose on its training tasks alone. Against it: every other policy (the best single
// agent, the best agent per task_type and per context member, the model), a random agent,
// and the oracle (any agent that succeeded, the cheapest of them).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "ml/model_params.hpp"
#include "ml/pareto.hpp"
#include "ml/routing_policy.hpp"

namespace agentlearn::ml {

struct RoutingOptions {
  int folds = 5;
  uint64_t seed = 42;
  Objective objective;  // what the routed figures use (default: success only)
  // The cost weights of the cost/success curve (cost_weight per USD, nothing else).
  std::vector<double> cost_weights = {0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5};
  // The scale-free objective forms swept for the quality/cost trade-off (beside the cost
  // weights above): relative cost weights and quality losses.
  std::vector<double> relative_cost_weights = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5};
  std::vector<double> max_quality_losses = {0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3};
  // Choose a cost weight inside each training fold (nested folds, never the test fold): the
  // cheapest weight whose inner success is within `tolerance` of the inner best single agent.
  bool tune_cost_weight = false;
  double tolerance = 0.02;
};

struct RoutingPoint {
  double cost_weight = 0;
  double success = 0;
  double cost = 0;  // mean USD per task over tasks whose chosen run has a cost
};

// One registered policy's held-out figure (every policy is scored on the same tasks).
struct PolicyFigure {
  std::string policy;
  std::string description;
  double success = 0, cost = 0;  // mean over tasks; cost over tasks whose pick has one
  // Paired standard error of (routed - this policy) over the tasks: routed beats it beyond
  // noise when routed - success > 2 * difference_se.
  double difference_se = 0;
  size_t served_folds = 0;  // folds whose set served this policy
};

struct RoutingEvaluation {
  int folds = 0;
  uint64_t seed = 0;
  size_t tasks = 0;
  size_t executions = 0;
  size_t agents = 0;
  double routed_success = 0, routed_cost = 0;
  double rules_success = 0, rules_cost = 0;
  double best_single_success = 0, best_single_cost = 0;
  std::vector<std::string> best_single_agents;  // per fold, as chosen on its training tasks
  // Every policy the sets could serve, simplest first (routed is, fold by fold, the policy
  // its set chose on its own training tasks), and the served policy per fold. A policy that
  // not every fold's set has (a context member kept by some folds' features only) is left out.
  std::vector<PolicyFigure> policies;
  std::vector<std::string> served_policies;
  double oracle_success = 0, oracle_cost = 0;
  double random_success = 0, random_cost = 0;  // the expectation over the task's agents
  double selector_auc = 0, selector_log_loss = 0;  // over every held-out (task, agent) run
  double r2_log_time = 0, r2_log_cost = 0;
  std::vector<RoutingPoint> cost_curve;
  // Every swept objective (cost weights, relative cost weights, quality losses) as a
  // (cost, success) point, the Pareto front of them and its AIQ (pareto.hpp); empty and NaN
  // when the runs have no costs.
  std::vector<TradeoffPoint> tradeoff;
  std::vector<TradeoffPoint> pareto;
  double aiq = 0;
  // The cheapest swept point whose success is within 0.02 of the best single agent's, and
  // its cost as a share of that agent's (nothing when none is).
  std::optional<TradeoffPoint> near_best_single;
  double near_best_single_cost_share = 0;
  // With tune_cost_weight: the outcome of the weights chosen per fold, and those weights.
  std::optional<RoutingPoint> tuned;
  std::vector<double> tuned_weights;
  double training_seconds = 0;  // all model-set trainings
};

// The gate of a success-only evaluation: the policies (other than the model) that routed falls
// below by more than the split's noise, max(0.004, 2 paired standard errors of the
// difference). Empty: routed holds against the best single agent and every one-field rule.
std::vector<std::string> policies_above_routed(const RoutingEvaluation& ev);
// The share of the distance from the best single agent to the oracle that routed covers.
double oracle_gap_closed(const RoutingEvaluation& ev);

// Held-out routing quality of one trained set: every held-out task's agents are the
// candidates; the set's served policy (by `objective`), every other policy, the oracle and a
// random agent are each scored by the real outcome of the agent they pick. `training` names
// the best single agent (the best success rate there).
struct HoldoutRouting {
  size_t tasks = 0;
  double routed_success = 0, routed_cost = 0;
  double best_single_success = 0, best_single_cost = 0;
  std::string best_single_agent;  // the best success rate on `training`
  double rules_success = 0, rules_cost = 0;
  double oracle_success = 0, oracle_cost = 0;
  double random_success = 0, random_cost = 0;
  std::string served_policy;
  std::vector<PolicyFigure> policies;
  std::vector<double> routed_per_task;  // the served policy's pick's success, task by task
};
class ModelSet;
StatusOr<HoldoutRouting> evaluate_holdout_routing(const ModelSet& set, std::span<const Execution> training,
                                                  std::span<const Execution> holdout, const Objective& objective = {});

StatusOr<RoutingEvaluation> evaluate_routing(std::span<const Execution> rows, const ModelParams& params,
                                             const RoutingOptions& options);

}  // namespace agentlearn::ml

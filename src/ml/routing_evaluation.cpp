#include "ml/routing_evaluation.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "ml/metrics.hpp"
#include "ml/model_set.hpp"
#include "ml/outcome_scale.hpp"
#include "ml/policies/registry.hpp"
#include "ml/policy_replay.hpp"

namespace agentlearn::ml {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One agent's runs of one task (usually one run; several are averaged).
struct AgentRuns {
  std::string agent;
  double success = 0;  // share of its runs that succeeded
  double cost = kNaN;  // mean USD of its runs with a cost
  std::vector<size_t> rows;
};

struct Task {
  size_t first_row = 0;  // where the task's text, type and context are read
  std::vector<AgentRuns> agents;
};

std::vector<Task> group_by_task(std::span<const Execution> rows) {
  std::vector<Task> tasks;
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto [it, fresh] = index.emplace(rows[i].task_id, tasks.size());
    if (fresh) tasks.push_back({i, {}});
    Task& t = tasks[it->second];
    auto a = std::find_if(t.agents.begin(), t.agents.end(), [&](const AgentRuns& r) { return r.agent == rows[i].agent_id; });
    if (a == t.agents.end()) {
      t.agents.push_back({rows[i].agent_id, 0, kNaN, {}});
      a = t.agents.end() - 1;
    }
    a->rows.push_back(i);
  }
  for (Task& t : tasks) {
    for (AgentRuns& a : t.agents) {
      double wins = 0, cost = 0;
      size_t costs = 0;
      for (size_t r : a.rows) {
        wins += rows[r].success;
        if (rows[r].cost_usd) {
          cost += *rows[r].cost_usd;
          ++costs;
        }
      }
      a.success = wins / static_cast<double>(a.rows.size());
      if (costs) a.cost = cost / static_cast<double>(costs);
    }
  }
  return tasks;
}

// Running means of what a policy's picks achieved.
struct Outcome {
  double success = 0, cost = 0;
  size_t tasks = 0, costed = 0;
  void add(double s, double c) {
    success += s;
    ++tasks;
    if (std::isfinite(c)) {
      cost += c;
      ++costed;
    }
  }
  double success_rate() const { return tasks ? success / static_cast<double>(tasks) : kNaN; }
  double mean_cost() const { return costed ? cost / static_cast<double>(costed) : kNaN; }
};

// Per held-out run: what the models predicted, for AUC and R^2.
struct RunPredictions {
  std::vector<double> p, log_time_pred, log_time_true, log_cost_pred, log_cost_true;
  std::vector<char> labels;
};

// The agent with the best success rate on `rows` (the first in name order on a tie).
std::string best_single_agent(std::span<const Execution> rows) {
  std::map<std::string, std::pair<double, double>> by_agent;  // successes, runs
  for (const Execution& e : rows) {
    auto& [wins, n] = by_agent[e.agent_id];
    wins += e.success;
    n += 1;
  }
  std::string best;
  double best_rate = -1;
  for (const auto& [agent, wn] : by_agent) {
    if (wn.first / wn.second > best_rate) best_rate = wn.first / wn.second, best = agent;
  }
  return best;
}

// Every `test` task through the set's estimate: the policies' input, with each agent's real
// outcome beside it.
StatusOr<std::vector<ReplayedTask>> replay_set(const ModelSet& set, std::span<const Execution> rows,
                                               const std::vector<Task>& tasks, const std::vector<size_t>& test,
                                               RunPredictions* runs) {
  std::vector<ReplayedTask> out;
  out.reserve(test.size());
  for (size_t t : test) {
    const Task& task = tasks[t];
    std::vector<std::string> candidates;
    for (const AgentRuns& a : task.agents) candidates.push_back(a.agent);
    auto est = set.estimate(task_query_of(rows[task.first_row]), candidates);
    if (!est.ok()) return est.status();
    ReplayedTask rep;
    for (size_t i = 0; i < task.agents.size(); ++i) {
      rep.success.push_back(task.agents[i].success);
      rep.cost.push_back(task.agents[i].cost);
      if (!runs) continue;
      const CandidateEstimate& c = est->candidates[i];
      for (size_t r : task.agents[i].rows) {
        runs->p.push_back(c.success_probability);
        runs->labels.push_back(rows[r].success);
        runs->log_time_pred.push_back(c.log_time);
        runs->log_time_true.push_back(log_time(rows[r].execution_time));
        if (rows[r].cost_usd && std::isfinite(c.log_cost)) {
          runs->log_cost_pred.push_back(c.log_cost);
          runs->log_cost_true.push_back(log_cost(*rows[r].cost_usd));
        }
      }
    }
    rep.estimate = std::move(*est);
    out.push_back(std::move(rep));
  }
  return out;
}

// One set's held-out tasks, scored: every policy's picks, the served one's, the oracle and
// the random agent.
struct ScoredTasks {
  std::vector<PolicyOutcomes> policies;
  std::vector<std::string> descriptions;
  PolicyOutcomes routed;
  std::string served;
  Outcome oracle, random;
};

ScoredTasks score_tasks(const ModelSet& set, std::span<const ReplayedTask> replayed, const Objective& objective) {
  ScoredTasks out;
  auto policies = make_all_policies(set.features());
  out.policies = score_policies(policies, replayed, objective);
  for (const auto& p : policies) out.descriptions.push_back(p->description());
  out.served = set.served_policy();
  for (const auto& p : out.policies) {
    if (p.policy == out.served) out.routed = p;
  }
  out.routed.policy = "routed";
  for (const ReplayedTask& t : replayed) {
    // The oracle: an agent that succeeded, the cheapest of those (any agent when none did).
    size_t o = 0;
    for (size_t i = 1; i < t.success.size(); ++i) {
      const bool won = t.success[i] > 0, o_won = t.success[o] > 0;
      if (won > o_won || (won == o_won && std::isfinite(t.cost[i]) && (!std::isfinite(t.cost[o]) || t.cost[i] < t.cost[o]))) o = i;
    }
    out.oracle.add(t.success[o] > 0 ? 1.0 : 0.0, t.cost[o]);
    Outcome expected;
    for (size_t i = 0; i < t.success.size(); ++i) expected.add(t.success[i], t.cost[i]);
    out.random.add(expected.success_rate(), expected.mean_cost());
  }
  return out;
}

// Appends `from`'s tasks to `into` (same policy).
void append(PolicyOutcomes& into, const PolicyOutcomes& from) {
  into.success.insert(into.success.end(), from.success.begin(), from.success.end());
  into.cost.insert(into.cost.end(), from.cost.begin(), from.cost.end());
  into.pick.insert(into.pick.end(), from.pick.begin(), from.pick.end());
}

void merge(Outcome& into, const Outcome& from) {
  into.success += from.success;
  into.cost += from.cost;
  into.tasks += from.tasks;
  into.costed += from.costed;
}

// The policies' held-out figures, with the paired standard error of routed minus each.
std::vector<PolicyFigure> figures(const std::vector<PolicyOutcomes>& policies, const std::vector<std::string>& descriptions,
                                  const PolicyOutcomes& routed, const std::vector<std::string>& served) {
  std::vector<PolicyFigure> out;
  for (size_t p = 0; p < policies.size(); ++p) {
    PolicyFigure f;
    f.policy = policies[p].policy;
    f.description = descriptions[p];
    f.success = policies[p].mean_success();
    f.cost = policies[p].mean_cost();
    f.difference_se = paired_standard_error(routed.success, policies[p].success);
    f.served_folds = static_cast<size_t>(std::count(served.begin(), served.end(), f.policy));
    out.push_back(std::move(f));
  }
  return out;
}

// Copies one policy's figures into the named fields a report keeps for it (left as they are
// when the policy is absent).
void copy_figure(const std::vector<PolicyFigure>& figures, std::string_view policy, double& success, double& cost) {
  for (const auto& f : figures) {
    if (f.policy != policy) continue;
    success = f.success;
    cost = f.cost;
  }
}

// Trains on the rows of `train` tasks exactly as the service's trainer does, and replays
// every `test` task through the set.
struct FoldResult {
  std::shared_ptr<const ModelSet> set;
  std::vector<ReplayedTask> replayed;
  std::string best_single;
  double seconds = 0;
};

StatusOr<FoldResult> replay(std::span<const Execution> rows, const std::vector<Task>& tasks,
                            const std::vector<size_t>& train, const std::vector<size_t>& test,
                            const ModelParams& params, RunPredictions* runs) {
  FoldResult out;
  std::vector<Execution> train_rows;
  for (size_t t : train) {
    for (const AgentRuns& a : tasks[t].agents) {
      for (size_t r : a.rows) train_rows.push_back(rows[r]);
    }
  }
  out.best_single = best_single_agent(train_rows);
  auto t0 = std::chrono::steady_clock::now();
  auto set = ModelSet::train(train_rows, params);
  if (!set.ok()) return set.status();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.set = *set;
  auto replayed = replay_set(**set, rows, tasks, test, runs);
  if (!replayed.ok()) return replayed.status();
  out.replayed = std::move(*replayed);
  return out;
}

// The served policy's outcome on the fold's tasks under `objective`.
Outcome route(const FoldResult& fold, const Objective& objective) {
  auto policy = make_policy(fold.set->served_policy(), fold.set->features());
  Outcome o;
  if (!policy.ok()) return o;
  std::unique_ptr<const RoutingPolicy> one[1] = {std::move(*policy)};
  auto scored = score_policies(one, fold.replayed, objective);
  for (size_t i = 0; i < scored[0].success.size(); ++i) o.add(scored[0].success[i], scored[0].cost[i]);
  return o;
}

// Folds by task, tasks with the same text in the same fold (a text asked twice is one
// question: one copy in training would give the other's answer away).
std::vector<std::vector<size_t>> split(const std::vector<Task>& tasks, std::span<const Execution> rows,
                                       const std::vector<size_t>& subset, int folds, uint64_t seed) {
  std::vector<std::string> keys;
  for (size_t t : subset) {
    const Execution& e = rows[tasks[t].first_row];
    keys.push_back(e.task_description && !e.task_description->empty() ? "text:" + *e.task_description : "id:" + e.task_id);
  }
  std::vector<int> fold_of = group_folds(keys, folds, seed);
  std::vector<std::vector<size_t>> out(static_cast<size_t>(folds));
  for (size_t i = 0; i < subset.size(); ++i) out[static_cast<size_t>(fold_of[i])].push_back(subset[i]);
  return out;
}

std::vector<size_t> all_but(const std::vector<std::vector<size_t>>& parts, size_t skip) {
  std::vector<size_t> out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i != skip) out.insert(out.end(), parts[i].begin(), parts[i].end());
  }
  return out;
}

// Nested folds inside `train`: the cheapest curve weight whose success stays within
// `tolerance` of the best single agent's (both measured on the inner held-out tasks).
StatusOr<double> tune_cost_weight(std::span<const Execution> rows, const std::vector<Task>& tasks,
                                  const std::vector<size_t>& train, const ModelParams& params,
                                  const RoutingOptions& options, double& seconds) {
  auto inner = split(tasks, rows, train, options.folds, options.seed + 1);
  std::vector<Outcome> curve(options.cost_weights.size());
  Outcome best_single;
  for (size_t f = 0; f < inner.size(); ++f) {
    auto fold = replay(rows, tasks, all_but(inner, f), inner[f], params, nullptr);
    if (!fold.ok()) return fold.status();
    seconds += fold->seconds;
    ScoredTasks scored = score_tasks(*fold->set, fold->replayed, Objective{});
    for (const auto& p : scored.policies) {
      if (p.policy != "best_single") continue;
      for (size_t i = 0; i < p.success.size(); ++i) best_single.add(p.success[i], p.cost[i]);
    }
    for (size_t w = 0; w < options.cost_weights.size(); ++w) {
      merge(curve[w], route(*fold, Objective{options.cost_weights[w], 0, {}, {}, 0, {}}));
    }
  }
  double chosen = 0, chosen_cost = std::numeric_limits<double>::infinity();
  for (size_t w = 0; w < curve.size(); ++w) {
    if (curve[w].success_rate() >= best_single.success_rate() - options.tolerance && curve[w].mean_cost() < chosen_cost) {
      chosen = options.cost_weights[w];
      chosen_cost = curve[w].mean_cost();
    }
  }
  return chosen;
}

}  // namespace

StatusOr<HoldoutRouting> evaluate_holdout_routing(const ModelSet& set, std::span<const Execution> training,
                                                  std::span<const Execution> holdout, const Objective& objective) {
  std::vector<Task> tasks = group_by_task(holdout);
  std::vector<size_t> all(tasks.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto replayed = replay_set(set, holdout, tasks, all, nullptr);
  if (!replayed.ok()) return replayed.status();
  ScoredTasks scored = score_tasks(set, *replayed, objective);
  HoldoutRouting out;
  out.tasks = replayed->size();
  out.served_policy = scored.served;
  out.policies = figures(scored.policies, scored.descriptions, scored.routed, {scored.served});
  out.routed_success = scored.routed.mean_success();
  out.routed_cost = scored.routed.mean_cost();
  out.routed_per_task = scored.routed.success;
  out.best_single_agent = best_single_agent(training);
  copy_figure(out.policies, "best_single", out.best_single_success, out.best_single_cost);
  copy_figure(out.policies, "task_type", out.rules_success, out.rules_cost);
  out.oracle_success = scored.oracle.success_rate();
  out.oracle_cost = scored.oracle.mean_cost();
  out.random_success = scored.random.success_rate();
  out.random_cost = scored.random.mean_cost();
  return out;
}

StatusOr<RoutingEvaluation> evaluate_routing(std::span<const Execution> rows, const ModelParams& params,
                                             const RoutingOptions& options) {
  if (options.folds < 2) return Status::Invalid("at least 2 folds are needed", "folds");
  std::vector<Task> tasks = group_by_task(rows);
  if (tasks.size() < static_cast<size_t>(options.folds)) return Status::Invalid("fewer tasks than folds");
  std::vector<size_t> all(tasks.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto parts = split(tasks, rows, all, options.folds, options.seed);

  RoutingEvaluation ev;
  ev.folds = options.folds;
  ev.seed = options.seed;
  ev.tasks = tasks.size();
  ev.executions = rows.size();
  {
    std::map<std::string_view, int> agents;
    for (const auto& e : rows) agents[e.agent_id] = 1;
    ev.agents = agents.size();
  }
  RunPredictions runs;
  Outcome tuned, oracle, random;
  PolicyOutcomes routed;
  // Policies by name over all folds, in the first fold's order; `present` counts the folds
  // that had each.
  std::vector<PolicyOutcomes> policies;
  std::vector<std::string> descriptions;
  std::vector<size_t> present;
  std::vector<Outcome> curve(options.cost_weights.size());
  // The scale-free forms, swept the same way.
  std::vector<std::pair<std::string, Objective>> forms;
  for (double w : options.relative_cost_weights) {
    Objective o;
    o.relative_cost_weight = w;
    forms.emplace_back(fmt::format("relative_cost_weight={:g}", w), o);
  }
  for (double q : options.max_quality_losses) {
    Objective o;
    o.max_quality_loss = q;
    forms.emplace_back(fmt::format("max_quality_loss={:g}", q), o);
  }
  std::vector<Outcome> form_outcomes(forms.size());
  for (size_t f = 0; f < parts.size(); ++f) {
    std::vector<size_t> train = all_but(parts, f);
    auto fold = replay(rows, tasks, train, parts[f], params, &runs);
    if (!fold.ok()) return fold.status();
    ev.training_seconds += fold->seconds;
    ev.best_single_agents.push_back(fold->best_single);
    ScoredTasks scored = score_tasks(*fold->set, fold->replayed, options.objective);
    ev.served_policies.push_back(scored.served);
    append(routed, scored.routed);
    merge(oracle, scored.oracle);
    merge(random, scored.random);
    for (size_t p = 0; p < scored.policies.size(); ++p) {
      const PolicyOutcomes& o = scored.policies[p];
      auto it = std::find_if(policies.begin(), policies.end(), [&](const PolicyOutcomes& q) { return q.policy == o.policy; });
      if (it == policies.end()) {
        if (f > 0) continue;  // a policy the first fold did not have cannot be in every fold
        policies.push_back(PolicyOutcomes{o.policy, {}, {}, {}});
        descriptions.push_back(scored.descriptions[p]);
        present.push_back(0);
        it = policies.end() - 1;
      }
      append(*it, o);
      ++present[static_cast<size_t>(it - policies.begin())];
    }
    for (size_t w = 0; w < options.cost_weights.size(); ++w) {
      merge(curve[w], route(*fold, Objective{options.cost_weights[w], 0, {}, {}, 0, {}}));
    }
    for (size_t k = 0; k < forms.size(); ++k) merge(form_outcomes[k], route(*fold, forms[k].second));
    if (options.tune_cost_weight) {
      auto w = tune_cost_weight(rows, tasks, train, params, options, ev.training_seconds);
      if (!w.ok()) return w.status();
      ev.tuned_weights.push_back(*w);
      merge(tuned, route(*fold, Objective{*w, 0, {}, {}, 0, {}}));
    }
  }
  std::vector<PolicyOutcomes> complete;
  std::vector<std::string> complete_descriptions;
  for (size_t p = 0; p < policies.size(); ++p) {
    if (present[p] == parts.size()) {
      complete.push_back(std::move(policies[p]));
      complete_descriptions.push_back(descriptions[p]);
    }
  }
  ev.policies = figures(complete, complete_descriptions, routed, ev.served_policies);
  ev.routed_success = routed.mean_success();
  ev.routed_cost = routed.mean_cost();
  copy_figure(ev.policies, "task_type", ev.rules_success, ev.rules_cost);
  copy_figure(ev.policies, "best_single", ev.best_single_success, ev.best_single_cost);
  ev.oracle_success = oracle.success_rate();
  ev.oracle_cost = oracle.mean_cost();
  ev.random_success = random.success_rate();
  ev.random_cost = random.mean_cost();
  for (size_t w = 0; w < curve.size(); ++w) {
    ev.cost_curve.push_back({options.cost_weights[w], curve[w].success_rate(), curve[w].mean_cost()});
  }
  if (options.tune_cost_weight) ev.tuned = RoutingPoint{kNaN, tuned.success_rate(), tuned.mean_cost()};
  for (const auto& p : ev.cost_curve) {
    ev.tradeoff.push_back({fmt::format("cost_weight={:g}", p.cost_weight), p.cost, p.success});
  }
  for (size_t k = 0; k < forms.size(); ++k) {
    ev.tradeoff.push_back({forms[k].first, form_outcomes[k].mean_cost(), form_outcomes[k].success_rate()});
  }
  ev.pareto = pareto_front(ev.tradeoff);
  ev.aiq = area_under_hull(ev.tradeoff);
  for (const auto& p : ev.tradeoff) {
    if (!std::isfinite(p.cost) || p.quality < ev.best_single_success - 0.02) continue;
    if (!ev.near_best_single || p.cost < ev.near_best_single->cost) ev.near_best_single = p;
  }
  if (ev.near_best_single && ev.best_single_cost > 0) {
    ev.near_best_single_cost_share = ev.near_best_single->cost / ev.best_single_cost;
  }
  std::unique_ptr<bool[]> labels(new bool[runs.labels.size()]);
  for (size_t i = 0; i < runs.labels.size(); ++i) labels[i] = runs.labels[i] != 0;
  std::span<const bool> label_span(labels.get(), runs.labels.size());
  ev.selector_auc = roc_auc(runs.p, label_span);
  ev.selector_log_loss = log_loss(runs.p, label_span);
  ev.r2_log_time = r2_score(runs.log_time_true, runs.log_time_pred);
  ev.r2_log_cost = runs.log_cost_true.empty() ? kNaN : r2_score(runs.log_cost_true, runs.log_cost_pred);
  return ev;
}

std::vector<std::string> policies_above_routed(const RoutingEvaluation& ev) {
  std::vector<std::string> above;
  for (const auto& f : ev.policies) {
    if (f.policy == "model") continue;
    // Two tasks in 500 at the least: below that a difference is one task's luck.
    if (ev.routed_success < f.success - std::max(0.004, 2 * f.difference_se)) above.push_back(f.policy);
  }
  return above;
}

double oracle_gap_closed(const RoutingEvaluation& ev) {
  return (ev.routed_success - ev.best_single_success) / (ev.oracle_success - ev.best_single_success);
}

}  // namespace agentlearn::ml

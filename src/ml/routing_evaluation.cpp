#include "ml/routing_evaluation.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "ml/metrics.hpp"
#include "ml/model_set.hpp"
#include "ml/outcome_scale.hpp"
#include "ml/success_rules.hpp"

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

// A held-out task as the models and the rules saw it: one entry per agent, in Task order.
struct Replayed {
  size_t task = 0;
  std::vector<CandidateScoreInput> model;
  std::vector<double> rules;
};

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
  void merge(const Outcome& o) {
    success += o.success;
    cost += o.cost;
    tasks += o.tasks;
    costed += o.costed;
  }
  double success_rate() const { return tasks ? success / static_cast<double>(tasks) : kNaN; }
  double mean_cost() const { return costed ? cost / static_cast<double>(costed) : kNaN; }
};

// Per held-out run: what the models predicted, for AUC and R^2.
struct RunPredictions {
  std::vector<double> p, log_time_pred, log_time_true, log_cost_pred, log_cost_true;
  std::vector<char> labels;
};

struct FoldResult {
  std::vector<Replayed> replayed;
  std::string best_single;
  double seconds = 0;
};

// What a fold's training tasks teach the baselines: the rules' success rates and the agent
// with the best success rate.
struct Baselines {
  SuccessRules rules;
  std::string best_single;
};

Baselines learn_baselines(std::span<const Execution> rows) {
  Baselines out;
  std::map<std::string, std::pair<double, double>> by_agent;  // successes, runs
  for (const Execution& e : rows) {
    out.rules.add(e.agent_id, e.task_type.value_or(""), e.success);
    auto& [wins, n] = by_agent[e.agent_id];
    wins += e.success;
    n += 1;
  }
  double best_rate = -1;
  for (const auto& [agent, wn] : by_agent) {
    double rate = wn.first / wn.second;
    if (rate > best_rate) {
      best_rate = rate;
      out.best_single = agent;
    }
  }
  return out;
}

// Replays every `test` task through the set's estimate and the rules.
StatusOr<std::vector<Replayed>> replay_set(const ModelSet& set, const SuccessRules& rules,
                                           std::span<const Execution> rows, const std::vector<Task>& tasks,
                                           const std::vector<size_t>& test, RunPredictions* runs) {
  std::vector<Replayed> out;
  for (size_t t : test) {
    const Task& task = tasks[t];
    const Execution& first = rows[task.first_row];
    std::vector<std::string> candidates;
    for (const AgentRuns& a : task.agents) candidates.push_back(a.agent);
    auto est = set.estimate(task_query_of(first), candidates);
    if (!est.ok()) return est.status();
    Replayed rep;
    rep.task = t;
    for (size_t i = 0; i < task.agents.size(); ++i) {
      const CandidateEstimate& c = est->candidates[i];
      rep.model.push_back({c.success_probability, std::exp(static_cast<double>(c.log_time)),
                           std::isfinite(c.log_cost) ? std::exp(static_cast<double>(c.log_cost)) : kNaN});
      rep.rules.push_back(rules.rate(task.agents[i].agent, first.task_type.value_or("")));
      if (!runs) continue;
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
    out.push_back(std::move(rep));
  }
  return out;
}

// Trains on the rows of `train` tasks exactly as the service's trainer does, and replays
// every `test` task through ModelSet::estimate and the rules.
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
  Baselines baselines = learn_baselines(train_rows);
  out.best_single = baselines.best_single;
  auto t0 = std::chrono::steady_clock::now();
  auto set = ModelSet::train(train_rows, params);
  if (!set.ok()) return set.status();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto replayed = replay_set(**set, baselines.rules, rows, tasks, test, runs);
  if (!replayed.ok()) return replayed.status();
  out.replayed = std::move(*replayed);
  return out;
}

size_t pick(const std::vector<CandidateScoreInput>& scored, const Objective& objective) {
  return rank_candidates(scored, objective).front().index;
}

Outcome route(const std::vector<Task>& tasks, const std::vector<Replayed>& replayed, const Objective& objective) {
  Outcome o;
  for (const Replayed& r : replayed) {
    const AgentRuns& a = tasks[r.task].agents[pick(r.model, objective)];
    o.add(a.success, a.cost);
  }
  return o;
}

Outcome single(const std::vector<Task>& tasks, const std::vector<Replayed>& replayed, const std::string& agent) {
  Outcome o;
  for (const Replayed& r : replayed) {
    for (const AgentRuns& a : tasks[r.task].agents) {
      if (a.agent == agent) o.add(a.success, a.cost);
    }
  }
  return o;
}

// The five policies' outcomes on held-out tasks.
struct Scored {
  Outcome routed, best, rules, oracle, random;
  size_t tasks = 0;  // the held-out tasks all five were scored on
};

// Adds one fold's held-out tasks to `into`: the set's picks (by `objective`), the best single
// agent, the rules, the oracle (the cheapest agent that succeeded, any agent when none did)
// and a random agent (the expectation over the task's agents).
//
// Every policy is scored on the same tasks, so the figures can be compared and the oracle is
// an upper bound of each: tasks the best single agent never ran (its outcome there is
// unknown) are left out of all five, not only out of its own figure. On the demo workload,
// where each task ran on a few of 20 agents, scoring the best single agent on its own tasks
// only showed it above the oracle.
void score_fold(const std::vector<Task>& tasks, const std::vector<Replayed>& all_replayed,
                const std::string& best_single, const Objective& objective, Scored& into) {
  std::vector<Replayed> replayed;
  for (const Replayed& r : all_replayed) {
    for (const AgentRuns& a : tasks[r.task].agents) {
      if (a.agent == best_single) {
        replayed.push_back(r);
        break;
      }
    }
  }
  into.tasks += replayed.size();
  into.routed.merge(route(tasks, replayed, objective));
  into.best.merge(single(tasks, replayed, best_single));
  for (const Replayed& r : replayed) {
    const Task& task = tasks[r.task];
    std::vector<CandidateScoreInput> by_rules;
    for (double rate : r.rules) by_rules.push_back({rate, kNaN, kNaN});
    const AgentRuns& chosen = task.agents[pick(by_rules, Objective{})];
    into.rules.add(chosen.success, chosen.cost);
    const AgentRuns* o = nullptr;
    for (const AgentRuns& a : task.agents) {
      bool better = !o || (a.success > 0) > (o->success > 0) ||
                    ((a.success > 0) == (o->success > 0) && std::isfinite(a.cost) &&
                     (!std::isfinite(o->cost) || a.cost < o->cost));
      if (better) o = &a;
    }
    into.oracle.add(o->success > 0 ? 1.0 : 0.0, o->cost);
    Outcome expected;
    for (const AgentRuns& a : task.agents) expected.add(a.success, a.cost);
    into.random.add(expected.success_rate(), expected.mean_cost());
  }
}

std::vector<std::vector<size_t>> split(const std::vector<Task>& tasks, std::span<const Execution> rows,
                                       const std::vector<size_t>& subset, int folds, uint64_t seed) {
  std::vector<std::string> ids;
  for (size_t t : subset) ids.push_back(rows[tasks[t].first_row].task_id);
  std::vector<int> fold_of = group_folds(ids, folds, seed);
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
    best_single.merge(single(tasks, fold->replayed, fold->best_single));
    for (size_t w = 0; w < options.cost_weights.size(); ++w) {
      curve[w].merge(route(tasks, fold->replayed, Objective{options.cost_weights[w], 0, {}, {}}));
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
  Baselines baselines = learn_baselines(training);
  auto replayed = replay_set(set, baselines.rules, holdout, tasks, all, nullptr);
  if (!replayed.ok()) return replayed.status();
  Scored scored;
  score_fold(tasks, *replayed, baselines.best_single, objective, scored);
  HoldoutRouting out;
  out.tasks = scored.tasks;
  out.routed_success = scored.routed.success_rate();
  out.routed_cost = scored.routed.mean_cost();
  out.best_single_agent = baselines.best_single;
  out.best_single_success = scored.best.success_rate();
  out.best_single_cost = scored.best.mean_cost();
  out.rules_success = scored.rules.success_rate();
  out.rules_cost = scored.rules.mean_cost();
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
  Scored scored;
  Outcome tuned;
  std::vector<Outcome> curve(options.cost_weights.size());
  for (size_t f = 0; f < parts.size(); ++f) {
    std::vector<size_t> train = all_but(parts, f);
    auto fold = replay(rows, tasks, train, parts[f], params, &runs);
    if (!fold.ok()) return fold.status();
    ev.training_seconds += fold->seconds;
    ev.best_single_agents.push_back(fold->best_single);
    score_fold(tasks, fold->replayed, fold->best_single, options.objective, scored);
    for (size_t w = 0; w < options.cost_weights.size(); ++w) {
      curve[w].merge(route(tasks, fold->replayed, Objective{options.cost_weights[w], 0, {}, {}}));
    }
    if (options.tune_cost_weight) {
      auto w = tune_cost_weight(rows, tasks, train, params, options, ev.training_seconds);
      if (!w.ok()) return w.status();
      ev.tuned_weights.push_back(*w);
      tuned.merge(route(tasks, fold->replayed, Objective{*w, 0, {}, {}}));
    }
  }
  ev.routed_success = scored.routed.success_rate();
  ev.routed_cost = scored.routed.mean_cost();
  ev.rules_success = scored.rules.success_rate();
  ev.rules_cost = scored.rules.mean_cost();
  ev.best_single_success = scored.best.success_rate();
  ev.best_single_cost = scored.best.mean_cost();
  ev.oracle_success = scored.oracle.success_rate();
  ev.oracle_cost = scored.oracle.mean_cost();
  ev.random_success = scored.random.success_rate();
  ev.random_cost = scored.random.mean_cost();
  for (size_t w = 0; w < curve.size(); ++w) {
    ev.cost_curve.push_back({options.cost_weights[w], curve[w].success_rate(), curve[w].mean_cost()});
  }
  if (options.tune_cost_weight) ev.tuned = RoutingPoint{kNaN, tuned.success_rate(), tuned.mean_cost()};
  std::unique_ptr<bool[]> labels(new bool[runs.labels.size()]);
  for (size_t i = 0; i < runs.labels.size(); ++i) labels[i] = runs.labels[i] != 0;
  std::span<const bool> label_span(labels.get(), runs.labels.size());
  ev.selector_auc = roc_auc(runs.p, label_span);
  ev.selector_log_loss = log_loss(runs.p, label_span);
  ev.r2_log_time = r2_score(runs.log_time_true, runs.log_time_pred);
  ev.r2_log_cost = runs.log_cost_true.empty() ? kNaN : r2_score(runs.log_cost_true, runs.log_cost_pred);
  return ev;
}

}  // namespace agentlearn::ml

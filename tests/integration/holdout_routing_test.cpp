// What a trained set's summary says it learned, on the real SWE-bench runs: the held-out
// routing quality stored with every set (ml::evaluate_holdout_routing, the function
// `agentlearn evaluate` scores its folds with) against figures computed here directly from
// the data, and the tree models' feature importance under names that are real features.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "app/evaluation_data.hpp"
#include "ml/feature_importance.hpp"
#include "ml/model_set.hpp"
#include "ml/model_set_evaluation.hpp"
#include "ml/routing_evaluation.hpp"
#include "service/demo_workload.hpp"

namespace agentlearn {
namespace {

struct Trained {
  std::vector<Execution> training, holdout;
  std::shared_ptr<const ml::ModelSet> set;
};

// One set for the suite, trained as the service's trainer does (default parameters, the
// held-out 20% of tasks by the same hash). Never destroyed: a booster freed by a static
// destructor at exit can outlive the XGBoost/OpenMP runtime state it needs (free() aborts).
const Trained& trained() {
  static const Trained& t = *new Trained([] {
    Trained out;
    const std::filesystem::path path = std::filesystem::path(AGENTLEARN_SHARED_DATA) / "swebench-verified/executions.jsonl";
    auto rows = load_executions_jsonl(path.string());
    if (!rows.ok()) {
      ADD_FAILURE() << "the shared data is needed: " << rows.status().message();
      return out;
    }
    for (auto& e : *rows) (ml::is_holdout_task(e.task_id, 0.2) ? out.holdout : out.training).push_back(e);
    auto set = ml::ModelSet::train(out.training, ml::ModelParams{});
    if (!set.ok()) {
      ADD_FAILURE() << set.status().message();
      return out;
    }
    out.set = *set;
    return out;
  }());
  return t;
}

TEST(HoldoutRouting, OracleBestSingleAndRandomMatchTheDataAndRoutedLiesBetween) {
  const Trained& t = trained();
  ASSERT_TRUE(t.set);
  auto r = ml::evaluate_holdout_routing(*t.set, t.training, t.holdout);
  ASSERT_TRUE(r.ok()) << r.status().message();

  // Computed here from the rows: per held-out task, each agent's outcome (one run each here).
  std::map<std::string, std::map<std::string, double>> outcome;  // task -> agent -> success
  for (const auto& e : t.holdout) outcome[e.task_id][e.agent_id] = e.success ? 1 : 0;
  std::map<std::string, std::pair<double, double>> train_rate;  // agent -> successes, runs
  for (const auto& e : t.training) {
    train_rate[e.agent_id].first += e.success;
    train_rate[e.agent_id].second += 1;
  }
  std::string best;
  double best_rate = -1;
  for (const auto& [agent, wn] : train_rate) {
    if (wn.first / wn.second > best_rate) best_rate = wn.first / wn.second, best = agent;
  }
  double oracle = 0, random = 0, single = 0, single_tasks = 0;
  for (const auto& [task, agents] : outcome) {
    double any = 0, sum = 0;
    for (const auto& [agent, s] : agents) any = std::max(any, s), sum += s;
    oracle += any;
    random += sum / static_cast<double>(agents.size());
    if (auto it = agents.find(best); it != agents.end()) single += it->second, single_tasks += 1;
  }
  const double n = static_cast<double>(outcome.size());
  EXPECT_EQ(r->tasks, outcome.size());
  EXPECT_GT(r->tasks, 80u);  // a fifth of 500 tasks
  EXPECT_EQ(r->best_single_agent, best);
  EXPECT_NEAR(r->oracle_success, oracle / n, 1e-12);
  EXPECT_NEAR(r->random_success, random / n, 1e-12);
  EXPECT_NEAR(r->best_single_success, single / single_tasks, 1e-12);
  // Every figure is on the same tasks, so the oracle bounds each policy.
  EXPECT_LE(r->best_single_success, r->oracle_success);
  EXPECT_LE(r->random_success, r->oracle_success);
  // A working router picks better than chance and cannot beat the oracle; so do the rules.
  EXPECT_GT(r->routed_success, r->random_success);
  EXPECT_LE(r->routed_success, r->oracle_success);
  EXPECT_GT(r->rules_success, r->random_success);
  EXPECT_LE(r->rules_success, r->oracle_success);
  EXPECT_GT(r->oracle_cost, 0);
  EXPECT_LT(r->oracle_cost, r->best_single_cost);  // the cheapest successful agent
  // Routed is the policy the set chose on its training tasks, scored like every other.
  EXPECT_EQ(r->served_policy, t.set->served_policy());
  bool found = false;
  for (const auto& p : r->policies) {
    if (p.policy != r->served_policy) continue;
    found = true;
    EXPECT_EQ(p.success, r->routed_success);
    EXPECT_EQ(p.difference_se, 0);
  }
  EXPECT_TRUE(found) << r->served_policy;
  std::cout << "held-out tasks " << r->tasks << ": routed " << r->routed_success << ", best single "
            << r->best_single_success << " (" << r->best_single_agent << "), rules " << r->rules_success << ", oracle "
            << r->oracle_success << ", random " << r->random_success << "\n";
}

// The demo workload runs each task on a few of its 20 agents, so the best single agent has
// no outcome on most held-out tasks. Its figure was once taken over its own tasks only and
// showed 82.9% above the oracle's 76.7%: every figure must be on the same tasks. Every
// policy picks among the agents that ran the task (the best single agent: the one of those
// with the best record), so every held-out task is scored.
TEST(HoldoutRouting, OnTheDemoWorkloadTheOracleBoundsEveryPolicy) {
  DemoWorkloadOptions options;
  auto rows = generate_demo_workload(options);
  std::vector<Execution> training, holdout;
  for (auto& e : rows) (ml::is_holdout_task(e.task_id, 0.2) ? holdout : training).push_back(e);
  auto set = ml::ModelSet::train(training, ml::ModelParams{});
  ASSERT_TRUE(set.ok()) << set.status().message();
  auto r = ml::evaluate_holdout_routing(**set, training, holdout);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::set<std::string> all_tasks;
  for (const auto& e : holdout) all_tasks.insert(e.task_id);
  EXPECT_EQ(r->tasks, all_tasks.size());
  EXPECT_GT(r->tasks, 0u);
  ASSERT_FALSE(r->policies.empty());
  for (const auto& p : r->policies) EXPECT_LE(p.success, r->oracle_success + 1e-12) << p.policy;
  for (double policy : {r->routed_success, r->best_single_success, r->rules_success, r->random_success}) {
    EXPECT_LE(policy, r->oracle_success + 1e-12);
  }
  EXPECT_GE(r->random_success, 0.0);
  std::cout << "demo: held-out tasks " << r->tasks << " of " << all_tasks.size() << ": routed " << r->routed_success
            << ", best single " << r->best_single_success << ", rules " << r->rules_success << ", oracle "
            << r->oracle_success << ", random " << r->random_success << "\n";
}

TEST(HoldoutRouting, FeatureImportanceNamesAreRealFeaturesLargestFirst) {
  const Trained& t = trained();
  ASSERT_TRUE(t.set);
  const std::vector<std::string> names = t.set->features().names();
  std::set<std::string> all(names.begin(), names.end()), selector;
  for (size_t c : t.set->features().selector_columns()) selector.insert(names[c]);
  auto check = [&](const StatusOr<std::vector<ml::FeatureGain>>& gains, const std::set<std::string>& allowed) {
    ASSERT_TRUE(gains.ok()) << gains.status().message();
    ASSERT_FALSE(gains->empty());
    EXPECT_LE(gains->size(), 15u);
    for (size_t i = 0; i < gains->size(); ++i) {
      EXPECT_TRUE(allowed.count((*gains)[i].feature)) << (*gains)[i].feature;
      EXPECT_GT((*gains)[i].gain, 0);
      if (i) {
        EXPECT_GE((*gains)[i - 1].gain, (*gains)[i].gain);
      }
    }
  };
  check(ml::selector_importance(*t.set), selector);
  check(ml::predictor_importance(*t.set, false), all);
  check(ml::predictor_importance(*t.set, true), all);
  // Steps and cost are mostly the agent's habit: its own mean log time leads the time model.
  auto time = ml::predictor_importance(*t.set, false, 3);
  ASSERT_TRUE(time.ok());
  bool agent_feature = false;
  for (const auto& g : *time) agent_feature |= g.feature.rfind("agent", 0) == 0;
  EXPECT_TRUE(agent_feature) << (*time)[0].feature;
}

}  // namespace
}  // namespace agentlearn

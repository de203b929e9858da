// The routing policies of ml/policies/: each rule's estimates against the smoothed records
// computed here by hand, the objective applied to a rule, the factory's names, the paired
// standard error, and the set's choice of the policy it serves.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ml/model_set.hpp"
#include "ml/outcome_scale.hpp"
#include "ml/policies/registry.hpp"
#include "ml/policy_replay.hpp"
#include "small_workload.hpp"

namespace agentlearn::ml {
namespace {

Execution run(const std::string& agent, const std::string& task, const std::string& type, const std::string& area,
              bool success, double seconds, double cost) {
  Execution e;
  e.agent_id = agent;
  e.task_id = task;
  e.task_type = type;
  e.context_json = R"({"area":")" + area + R"("})";
  e.success = success;
  e.execution_time = seconds;
  e.cost_usd = cost;
  return e;
}

// a: 6 of 8 on type x (area north), 1 of 4 on type y (area south); b: 2 of 4 on x, 4 of 4 on y.
std::vector<Execution> counted_rows() {
  std::vector<Execution> rows;
  int t = 0;
  auto add = [&](const std::string& agent, const std::string& type, const std::string& area, int wins, int runs,
                 double seconds, double cost) {
    for (int i = 0; i < runs; ++i) {
      rows.push_back(run(agent, "t" + std::to_string(t++), type, area, i < wins, seconds, cost));
    }
  };
  add("a", "x", "north", 6, 8, 10, 1.0);
  add("a", "y", "south", 1, 4, 10, 1.0);
  add("b", "x", "north", 2, 4, 40, 0.1);
  add("b", "y", "south", 4, 4, 40, 0.1);
  return rows;
}

TaskEstimate estimate_for(const FeatureBuilder& f, const TaskQuery& q, const std::vector<std::string>& agents) {
  TaskEstimate t;
  PreparedTask p = f.prepare(q, {});
  t.features = DenseMatrix(agents.size(), f.width());
  for (size_t i = 0; i < agents.size(); ++i) {
    f.fill(p, agents[i], t.features.row(i));
    t.candidates.push_back({agents[i], 0, 0, kMissing});
  }
  return t;
}

TEST(RoutingPolicies, RulesEstimateTheAgentsSmoothedRecordInTheirGroup) {
  auto rows = counted_rows();
  auto f = FeatureBuilder::fit(rows, FeatureParams{});
  ASSERT_TRUE(f.ok()) << f.status().message();
  const double m = 5, global = 13.0 / 20;  // 13 successes in 20 runs
  const double a_all = (7 + m * global) / (12 + m), b_all = (6 + m * global) / (8 + m);
  const double a_x = (6 + m * a_all) / (8 + m), b_x = (2 + m * b_all) / (4 + m);
  const double global_log_time = (12 * log_time(10) + 8 * log_time(40)) / 20;
  const double a_log_time = (12 * log_time(10) + m * global_log_time) / (12 + m);

  TaskEstimate task = estimate_for(*f, TaskQuery{"", "x", R"({"area":"north"})"}, {"a", "b", "nobody"});
  auto best_single = make_policy("best_single", *f);
  auto by_type = make_policy("task_type", *f);
  auto by_area = make_policy("context.area", *f);
  ASSERT_TRUE(best_single.ok() && by_type.ok() && by_area.ok());
  auto single = (*best_single)->estimate(task);
  ASSERT_EQ(single.size(), 3u);
  EXPECT_NEAR(single[0].success_probability, a_all, 1e-6);
  EXPECT_NEAR(single[1].success_probability, b_all, 1e-6);
  EXPECT_NEAR(single[2].success_probability, global, 1e-6);  // an unknown agent: everyone's rate
  EXPECT_NEAR(std::log(single[0].predicted_time), a_log_time, 1e-5);
  auto typed = (*by_type)->estimate(task);
  EXPECT_NEAR(typed[0].success_probability, a_x, 1e-6);
  EXPECT_NEAR(typed[1].success_probability, b_x, 1e-6);
  // Area north holds exactly the type-x runs, so the area rule agrees with the type rule.
  auto area = (*by_area)->estimate(task);
  EXPECT_NEAR(area[0].success_probability, a_x, 1e-6);
  EXPECT_NEAR(area[1].success_probability, b_x, 1e-6);
  // Costs are the smoothed geometric means: a (USD 1.00) dearer than b (USD 0.10).
  EXPECT_GT(typed[0].predicted_cost, 3 * typed[1].predicted_cost);

  // On type y the type rule turns to b; the best single agent stays where it was.
  TaskEstimate y = estimate_for(*f, TaskQuery{"", "y", "{}"}, {"a", "b"});
  auto typed_y = (*by_type)->estimate(y);
  EXPECT_GT(typed_y[1].success_probability, typed_y[0].success_probability);
  EXPECT_EQ(rank_candidates(typed, Objective{}).front().index, 0u);
  EXPECT_EQ(rank_candidates(typed_y, Objective{}).front().index, 1u);
}

TEST(RoutingPolicies, TheObjectiveAppliesToARule) {
  auto f = FeatureBuilder::fit(counted_rows(), FeatureParams{});
  ASSERT_TRUE(f.ok());
  TaskEstimate task = estimate_for(*f, TaskQuery{"", "x", "{}"}, {"a", "b"});
  auto rule = make_policy("task_type", *f);
  ASSERT_TRUE(rule.ok());
  auto est = (*rule)->estimate(task);
  // a is the likelier (about 0.70 vs 0.55) and about 7x dearer: a price of 1 per USD turns
  // the choice to b.
  EXPECT_EQ(rank_candidates(est, Objective{}).front().index, 0u);
  EXPECT_EQ(rank_candidates(est, Objective{1.0, 0, {}, {}, 0, {}}).front().index, 1u);
  // A time limit below a's and b's geometric means leaves no candidate within it; one above
  // a's keeps a.
  EXPECT_EQ(rank_candidates(est, Objective{0, 0, {}, 20.0, 0, {}}).front().index, 0u);
  EXPECT_FALSE(rank_candidates(est, Objective{0, 0, {}, 5.0, 0, {}}).front().within_limits);
}

TEST(RoutingPolicies, TheFactoryKnowsEveryNameAndRefusesOthers) {
  auto f = FeatureBuilder::fit(counted_rows(), FeatureParams{});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(policy_names(*f),
            (std::vector<std::string>{"best_single", "task_type", "context.area", "model", "ensemble"}));
  for (const auto& name : policy_names(*f)) {
    auto p = make_policy(name, *f);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ((*p)->name(), name);
    EXPECT_FALSE((*p)->description().empty());
  }
  auto unknown = make_policy("context.nothing", *f);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("best_single, task_type, context.area, model, ensemble"), std::string::npos);
}

TEST(RoutingPolicies, TheEnsembleIsTheMeanOfTheOthersWithTheModelsTimeAndCost) {
  auto f = FeatureBuilder::fit(counted_rows(), FeatureParams{});
  ASSERT_TRUE(f.ok());
  TaskEstimate task = estimate_for(*f, TaskQuery{"", "x", R"({"area":"north"})"}, {"a", "b"});
  task.candidates[0] = {"a", 0.2f, std::log(3.0f), std::log(0.5f)};
  task.candidates[1] = {"b", 0.9f, std::log(7.0f), kMissing};
  auto ensemble = make_policy("ensemble", *f);
  ASSERT_TRUE(ensemble.ok());
  auto e = (*ensemble)->estimate(task);
  ASSERT_EQ(e.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    double sum = 0;
    for (const char* name : {"best_single", "task_type", "context.area", "model"}) {
      sum += (*make_policy(name, *f))->estimate(task)[i].success_probability;
    }
    EXPECT_NEAR(e[i].success_probability, sum / 4, 1e-9);
  }
  EXPECT_NEAR(e[0].predicted_time, 3, 1e-5);
  EXPECT_NEAR(e[0].predicted_cost, 0.5, 1e-6);
  EXPECT_TRUE(std::isnan(e[1].predicted_cost));
}

PolicyOutcomes outcomes(const std::string& name, int tasks, int wins_from, int wins_to) {
  PolicyOutcomes o;
  o.policy = name;
  for (int t = 0; t < tasks; ++t) {
    o.success.push_back(t >= wins_from && t < wins_to ? 1 : 0);
    o.cost.push_back(NAN);
    o.pick.push_back(0);
  }
  return o;
}

// The model stays unless another policy beats it by more than one paired standard error;
// without a model the best mean serves, a tie going to the simpler.
TEST(RoutingPolicies, SelectionKeepsTheModelUnlessBeatenBeyondTheNoise) {
  // 1,000 tasks. The rule wins tasks 0-699, the model 10-699: the rule is 0.01 ahead, on
  // 10 tasks where they differ (paired SE about 0.003): it serves.
  std::vector<PolicyOutcomes> clear = {outcomes("task_type", 1000, 0, 700), outcomes("model", 1000, 10, 700)};
  PolicySelection s = select_policy(clear, 5);
  EXPECT_EQ(s.served, "task_type");
  EXPECT_EQ(s.tasks, 1000u);
  EXPECT_NEAR(s.score_of("model")->difference_se, std::sqrt((10 - 1000 * 0.0001) / 999.0 / 1000), 1e-12);
  // One task ahead, on 1 task of 1,000 (SE 0.001, equal to the lead): the model stays.
  std::vector<PolicyOutcomes> noise = {outcomes("task_type", 1000, 0, 700), outcomes("model", 1000, 1, 700)};
  EXPECT_EQ(select_policy(noise, 5).served, "model");
  // The rule ahead by 0.002 on tasks where they swap 100 wins each way (SE about 0.014).
  std::vector<PolicyOutcomes> swapped = {outcomes("task_type", 1000, 0, 702), outcomes("model", 1000, 100, 800)};
  EXPECT_EQ(select_policy(swapped, 5).served, "model");
  // No model among them: the best mean; a tie goes to the first listed.
  std::vector<PolicyOutcomes> rules = {outcomes("best_single", 100, 0, 50), outcomes("task_type", 100, 0, 60),
                                       outcomes("context.x", 100, 40, 100)};
  EXPECT_EQ(select_policy(rules, 5).served, "task_type");
  EXPECT_EQ(select_policy(rules, 5).score_of("task_type")->difference_se, 0);
}

TEST(RoutingPolicies, PairedStandardErrorIsTheSpreadOfTheDifferences) {
  std::vector<double> a = {1, 0, 1, 1}, b = {0, 0, 1, 0};
  // Differences 1, 0, 0, 1: sample sd sqrt(1/3), over sqrt(4).
  EXPECT_NEAR(paired_standard_error(a, b), std::sqrt(1.0 / 3) / 2, 1e-12);
  EXPECT_EQ(paired_standard_error(a, a), 0);
  EXPECT_EQ(paired_standard_error(std::vector<double>{1}, std::vector<double>{0}), 0);
}

// Success depends on the context member alone (task types and texts say nothing): the set
// must serve a policy that reads the member, list every policy's out-of-fold figure, and keep
// the choice through a save and load.
TEST(RoutingPolicies, TheSetServesThePolicyThatDidBestOutOfFold) {
  std::vector<Execution> rows;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int t = 0; t < 300; ++t) {
    const bool north = t % 2 == 0;
    for (const char* agent : {"a", "b", "c"}) {
      const std::string ag = agent;
      const double p = ag == "c" ? 0.55 : (ag == "a") == north ? 0.9 : 0.2;
      rows.push_back(run(ag, "t" + std::to_string(t), (rng() % 2) ? "x" : "y", north ? "north" : "south", u(rng) < p,
                         10, 0.1));
      rows.back().task_description = "task number " + std::to_string(t) + " of the batch";
    }
  }
  auto set = ModelSet::train(rows, testing::small_model_params());
  ASSERT_TRUE(set.ok()) << set.status().message();
  const PolicySelection& s = (*set)->policy_selection();
  EXPECT_TRUE(s.missing.empty()) << s.missing;
  EXPECT_EQ(s.folds, 5);
  EXPECT_EQ(s.tasks, 300u);
  ASSERT_EQ(s.scores.size(), 5u);
  EXPECT_TRUE(s.served == "context.area" || s.served == "model" || s.served == "ensemble") << s.served;
  const PolicyScore* served = s.score_of(s.served);
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(served->difference_se, 0);
  // The served policy did best, or is the model within one paired standard error of the best.
  for (const auto& score : s.scores) {
    if (s.served == "model") {
      EXPECT_LE(score.success - served->success, score.difference_se + 1e-12) << score.policy;
    } else {
      EXPECT_LE(score.success, served->success) << score.policy;
    }
  }
  // Picking by area wins about 0.9 of tasks; the best single agent about 0.55 to 0.6.
  EXPECT_GT(served->success, 0.8);
  EXPECT_LT(s.score_of("best_single")->success, 0.7);
  EXPECT_GT(s.score_of("best_single")->difference_se, 0);

  auto copy = ModelSet::deserialize((*set)->serialize());
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  EXPECT_EQ((*copy)->served_policy(), s.served);
  ASSERT_EQ((*copy)->policy_selection().scores.size(), 5u);
  EXPECT_EQ((*copy)->policy_selection().score_of("best_single")->success, s.score_of("best_single")->success);
}

}  // namespace
}  // namespace agentlearn::ml

// `agentlearn evaluate` as CI and a user run it: the real binary replays the SWE-bench runs
// through the service's routing, split by task, and must route at least as well as always
// asking the best single agent (exit 0), report every figure the issue names, refuse a bad
// objective (exit 2), and estimate policies from a store's logged online-mode decisions.
#include <gtest/gtest.h>

#include <set>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "store/open_store.hpp"

namespace agentlearn {
namespace {

using testing::describe;
using testing::swebench_executions;

class Evaluate : public testing::SwebenchCliTest {};

// On SWE-bench the policies lie within a point or two of each other (500 tasks: a paired
// standard error near 0.008), so the gate is reported here and enforced on routerdc below.
TEST_F(Evaluate, EveryPolicyIsScoredOnTheSameTasksWithItsPairedError) {
  auto r = run({"evaluate", "--data", swebench_executions().string(), "--json"}, {}, std::chrono::seconds(300));
  ASSERT_TRUE(r.code == 0 || r.code == 1) << describe(r);
  auto j = parse_json(r);
  for (const char* key : {"routed_success", "routed_cost", "best_single_success", "best_single_cost", "oracle_success",
                          "random_success", "rules_success", "r2_log_time", "r2_log_cost", "anomaly_auc",
                          "selector_auc"}) {
    ASSERT_TRUE(j.contains(key) && j[key].is_number()) << key << " in " << r.out;
  }
  EXPECT_EQ(j["tasks"], 500);
  EXPECT_EQ(j["agents"], 24);
  EXPECT_EQ(j["best_single_agents"].size(), 5u);
  // Every policy on the same tasks, with the paired error of routed minus it; the one-field
  // rules of this data are task_type (the repository) and each categorical context member.
  std::set<std::string> names, below;
  size_t served = 0;
  for (const auto& p : j["policies"]) {
    const std::string name = p["policy"].get<std::string>();
    names.insert(name);
    served += p["served_folds"].get<size_t>();
    EXPECT_LE(p["success"].get<double>(), j["oracle_success"].get<double>()) << p;
    EXPECT_GT(p["success"].get<double>(), j["random_success"].get<double>()) << p;
    EXPECT_NEAR(p["routed_minus"].get<double>(), j["routed_success"].get<double>() - p["success"].get<double>(), 1e-12);
    if (name != "model" && j["routed_success"].get<double>() <
                               p["success"].get<double>() - std::max(0.004, 2 * p["difference_se"].get<double>())) {
      below.insert(name);
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"best_single", "task_type", "context.difficulty", "context.repository",
                                          "text_cluster", "model", "ensemble"}));
  EXPECT_EQ(served, 5u);
  ASSERT_EQ(j["served_policies"].size(), 5u);
  // The gate's verdict, its list and the exit status agree with the figures.
  EXPECT_EQ(j["below"].get<std::set<std::string>>(), below);
  EXPECT_EQ(j["holds_against_every_rule"].get<bool>(), below.empty());
  EXPECT_EQ(r.code, below.empty() ? 0 : 1);
  // The best single agent's figure is the policy's.
  for (const auto& p : j["policies"]) {
    if (p["policy"] == "best_single") {
      EXPECT_EQ(p["success"], j["best_single_success"]);
    }
  }
  // Routed is, fold by fold, one of the policies; so it cannot beat the oracle.
  EXPECT_GT(j["oracle_success"].get<double>(), j["routed_success"].get<double>());
  // The quality/cost trade-off over the objective forms: every form swept, the front drawn
  // from them, each front point undominated, AIQ inside the front's quality range, and the
  // cheapest point within 0.02 of the best single agent with its cost share.
  std::set<std::string> forms;
  for (const auto& p : j["tradeoff"]) forms.insert(p["form"].get<std::string>());
  for (const char* form : {"cost_weight=0", "relative_cost_weight=0.1", "max_quality_loss=0.02"}) {
    EXPECT_TRUE(forms.count(form)) << form;
  }
  const auto& front = j["pareto_front"];
  ASSERT_GE(front.size(), 2u);
  for (size_t i = 0; i < front.size(); ++i) {
    EXPECT_TRUE(forms.count(front[i]["form"].get<std::string>()));
    if (i > 0) {
      EXPECT_GT(front[i]["cost"].get<double>(), front[i - 1]["cost"].get<double>());
      EXPECT_GT(front[i]["success"].get<double>(), front[i - 1]["success"].get<double>());
    }
    for (const auto& p : j["tradeoff"]) {
      EXPECT_FALSE(p["cost"].get<double>() < front[i]["cost"].get<double>() &&
                   p["success"].get<double>() > front[i]["success"].get<double>())
          << p << " dominates " << front[i];
    }
  }
  EXPECT_GE(j["aiq"].get<double>(), front[0]["success"].get<double>());
  EXPECT_LE(j["aiq"].get<double>(), front.back()["success"].get<double>());
  const auto& near = j["near_best_single"];
  ASSERT_TRUE(near.is_object()) << j["tradeoff"];
  EXPECT_GE(near["success"].get<double>(), j["best_single_success"].get<double>() - 0.02);
  EXPECT_NEAR(near["cost_share"].get<double>(), near["cost"].get<double>() / j["best_single_cost"].get<double>(), 1e-9);
  for (const auto& p : j["tradeoff"]) {
    if (p["success"].get<double>() >= j["best_single_success"].get<double>() - 0.02) {
      EXPECT_GE(p["cost"].get<double>(), near["cost"].get<double>()) << p;
    }
  }
  // The bounds a working replay must respect.
  EXPECT_GT(j["routed_success"].get<double>(), j["random_success"].get<double>());
  EXPECT_GT(j["anomaly_auc"].get<double>(), 0.9);
  // The cost curve: success and cost both fall as the cost weight rises (on the whole).
  const auto& curve = j["cost_curve"];
  ASSERT_GE(curve.size(), 5u);
  EXPECT_EQ(curve[0]["cost_weight"], 0.0);
  EXPECT_EQ(curve[0]["success"], j["routed_success"]);
  EXPECT_LT(curve.back()["cost"].get<double>(), curve[0]["cost"].get<double>() / 4);
  EXPECT_LT(curve.back()["success"].get<double>(), curve[0]["success"].get<double>());
}

// The routing gate, on the larger second data set (13,779 questions, 7 models): routed must
// hold against the best single model and every one-field rule (the best model per benchmark
// among them), none above it by more than max(0.004, 2 paired standard errors), at seed 42.
TEST_F(Evaluate, OnRouterdcRoutedHoldsAgainstEveryRule) {
  auto r = run({"evaluate", "--data", testing::routerdc_executions().string(), "--json"}, {}, std::chrono::seconds(900));
  ASSERT_EQ(r.code, 0) << describe(r);
  auto j = parse_json(r);
  EXPECT_EQ(j["tasks"], 13779);
  EXPECT_EQ(j["agents"], 7);
  EXPECT_TRUE(j["holds_against_every_rule"].get<bool>());
  const double routed = j["routed_success"].get<double>();
  for (const auto& p : j["policies"]) {
    if (p["policy"] == "model") continue;
    EXPECT_GE(routed, p["success"].get<double>() - std::max(0.004, 2 * p["difference_se"].get<double>())) << p;
  }
  // Above the best single model by more than the noise (RouterDC reports +2.76 points with
  // its own router).
  EXPECT_GT(routed, j["best_single_success"].get<double>() + 0.01);
  EXPECT_LT(routed, j["oracle_success"].get<double>());
  std::cout << "routerdc routed " << routed << ", best single " << j["best_single_success"] << ", oracle "
            << j["oracle_success"] << "\n";
}

// Text only: task_type and the context member equal to it (SWE-bench's repository) are
// withheld, so no policy reads them; the classifier's guess from the text is all that is
// left of the type. The oracle and the random agent do not depend on it.
TEST_F(Evaluate, TextOnlyWithholdsTheTaskTypeFromEveryPolicy) {
  auto full = run({"evaluate", "--data", swebench_executions().string(), "--json", "--folds", "2"}, {},
                  std::chrono::seconds(300));
  auto text = run({"evaluate", "--data", swebench_executions().string(), "--json", "--folds", "2", "--text-only"}, {},
                  std::chrono::seconds(300));
  ASSERT_TRUE(full.code == 0 || full.code == 1) << describe(full);
  ASSERT_TRUE(text.code == 0 || text.code == 1) << describe(text);
  auto a = parse_json(full), b = parse_json(text);
  EXPECT_FALSE(a["text_only"].get<bool>());
  EXPECT_TRUE(b["text_only"].get<bool>());
  auto names = [](const nlohmann::json& j) {
    std::set<std::string> out;
    for (const auto& p : j["policies"]) out.insert(p["policy"].get<std::string>());
    return out;
  };
  EXPECT_TRUE(names(a).count("context.repository"));
  EXPECT_FALSE(names(b).count("context.repository")) << "the repository is the task_type here";
  EXPECT_TRUE(names(b).count("context.difficulty"));
  EXPECT_EQ(a["oracle_success"], b["oracle_success"]);
  EXPECT_EQ(a["random_success"], b["random_success"]);
  EXPECT_NE(a["rules_success"], b["rules_success"]) << "task_type rules now read the classifier's guess";
  for (const auto* j : {&a, &b}) {
    const double gap = ((*j)["routed_success"].get<double>() - (*j)["best_single_success"].get<double>()) /
                       ((*j)["oracle_success"].get<double>() - (*j)["best_single_success"].get<double>());
    EXPECT_NEAR((*j)["oracle_gap_closed"].get<double>(), gap, 1e-12);
  }
}

// --seeds replays every seed exactly as --seed alone would and averages them: the oracle for a
// seed's line is that seed's own run.
TEST_F(Evaluate, OverSeedsEachLineIsThatSeedsRunAndTheMeanIsTheirMean) {
  auto both = run({"evaluate", "--data", swebench_executions().string(), "--json", "--folds", "2", "--seeds", "1,2"}, {},
                  std::chrono::seconds(300));
  auto one = run({"evaluate", "--data", swebench_executions().string(), "--json", "--folds", "2", "--seed", "2"}, {},
                 std::chrono::seconds(300));
  ASSERT_TRUE(both.code == 0 || both.code == 1) << describe(both);
  ASSERT_TRUE(one.code == 0 || one.code == 1) << describe(one);
  auto j = parse_json(both), s2 = parse_json(one);
  ASSERT_EQ(j["seeds"].size(), 2u);
  const auto& row = j["seeds"][1];
  EXPECT_EQ(row["seed"], 2);
  EXPECT_EQ(row["routed_success"], s2["routed_success"]);
  EXPECT_EQ(row["best_single_success"], s2["best_single_success"]);
  EXPECT_EQ(row["oracle_gap_closed"], s2["oracle_gap_closed"]);
  EXPECT_EQ(row["holds_against_every_rule"], s2["holds_against_every_rule"]);
  for (const auto& p : s2["policies"]) {
    EXPECT_EQ(row["policies"][p["policy"].get<std::string>()]["success"], p["success"]) << p["policy"];
  }
  auto mean = [&](const char* key) {
    return (j["seeds"][0][key].get<double>() + j["seeds"][1][key].get<double>()) / 2;
  };
  EXPECT_NEAR(j["mean"]["routed_success"].get<double>(), mean("routed_success"), 1e-12);
  EXPECT_NEAR(j["mean"]["oracle_gap_closed"].get<double>(), mean("oracle_gap_closed"), 1e-12);
  EXPECT_NEAR(j["mean"]["policies"]["best_single"]["success"].get<double>(),
              (j["seeds"][0]["policies"]["best_single"]["success"].get<double>() +
               j["seeds"][1]["policies"]["best_single"]["success"].get<double>()) / 2,
              1e-12);
  EXPECT_EQ(j["every_seed_holds"].get<bool>(), both.code == 0);
  // The table a person reads has a line per seed and the mean.
  auto text = run({"evaluate", "--data", swebench_executions().string(), "--folds", "2", "--seeds", "1,2"}, {},
                  std::chrono::seconds(300));
  EXPECT_NE(text.out.find("\nmean "), std::string::npos) << describe(text);
  auto bad = run({"evaluate", "--data", swebench_executions().string(), "--seeds", "1,x"});
  EXPECT_NE(bad.code, 0) << describe(bad);
}

TEST_F(Evaluate, ACostWeightTradesSuccessForCost) {
  auto r = run({"evaluate", "--data", swebench_executions().string(), "--json", "--folds", "3", "--objective",
                R"({"cost_weight":0.5})"},
               {}, std::chrono::seconds(300));
  // The exit status is about the no-cost-weight point; here the objective's figures matter.
  ASSERT_TRUE(r.code == 0 || r.code == 1) << describe(r);
  auto j = parse_json(r);
  EXPECT_EQ(j["objective"]["cost_weight"], 0.5);
  EXPECT_LT(j["routed_cost"].get<double>(), j["routed_cost_no_cost_weight"].get<double>() / 2);
  EXPECT_EQ(j["split"], "3-fold by task (one text, one fold), seed 42");
}

TEST_F(Evaluate, UnusableInputExitsTwoSayingWhy) {
  auto bad_objective = run({"evaluate", "--data", swebench_executions().string(), "--objective", R"({"cost_wieght":1})"});
  EXPECT_EQ(bad_objective.code, 2) << describe(bad_objective);
  EXPECT_NE(bad_objective.err.find("objective.cost_wieght"), std::string::npos) << describe(bad_objective);
  auto not_json = run({"evaluate", "--data", swebench_executions().string(), "--objective", "cheap"});
  EXPECT_EQ(not_json.code, 2) << describe(not_json);
  auto missing = run({"evaluate", "--data", (dir_ / "nope.jsonl").string()});
  EXPECT_EQ(missing.code, 2) << describe(missing);
  EXPECT_NE(missing.err.find("nope.jsonl"), std::string::npos) << describe(missing);
  testing::write_file(dir_ / "bad.jsonl", "{\"agent_id\":\"a\"}\n");
  auto invalid = run({"evaluate", "--data", (dir_ / "bad.jsonl").string()});
  EXPECT_EQ(invalid.code, 2) << describe(invalid);
  EXPECT_NE(invalid.err.find("line 1"), std::string::npos) << describe(invalid);
  EXPECT_NE(invalid.err.find("no valid executions"), std::string::npos) << describe(invalid);
  // A .csv file is read as CSV, as `import` reads it: its header is line 1, its bad row line 2.
  testing::write_file(dir_ / "bad.csv", "agent_id,task_id,execution_time,success\na,t,fast,true\n");
  auto csv = run({"evaluate", "--data", (dir_ / "bad.csv").string()});
  EXPECT_EQ(csv.code, 2) << describe(csv);
  EXPECT_NE(csv.err.find("1 rejected; line 2"), std::string::npos) << describe(csv);
}

// A file with bad records among good ones is read as `import` reads it: each bad one is
// listed with its line and left out, and the figures equal those of the file without them.
TEST_F(Evaluate, BadRecordsAreListedWithTheirLinesAndLeftOut) {
  std::ifstream in(swebench_executions());
  std::string all, line;
  size_t n = 0;
  std::vector<size_t> bad_lines;
  while (std::getline(in, line)) {
    all += line + "\n";
    if (++n % 1000 == 0) {  // after every 1,000th record: three kinds of bad record
      all += "{not json\n";
      all += R"({"agent_id":"x","task_id":"t","execution_time":"fast","success":true})" "\n";
      all += R"({"agent_id":"x","task_id":"t","execution_time":1})" "\n";
      const size_t first = n + bad_lines.size() + 1;  // the file's lines so far, bad ones included
      bad_lines.insert(bad_lines.end(), {first, first + 1, first + 2});
    }
  }
  ASSERT_GE(bad_lines.size(), 30u);
  testing::write_file(dir_ / "mixed.jsonl", all);
  const std::vector<std::string> common = {"--json", "--folds", "2"};
  auto with_args = [&](const std::string& file) {
    std::vector<std::string> a = {"evaluate", "--data", file};
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };
  auto mixed = run(with_args((dir_ / "mixed.jsonl").string()), {}, std::chrono::seconds(300));
  ASSERT_TRUE(mixed.code == 0 || mixed.code == 1) << describe(mixed);
  auto clean = run(with_args(swebench_executions().string()), {}, std::chrono::seconds(300));
  ASSERT_TRUE(clean.code == 0 || clean.code == 1) << describe(clean);
  auto m = parse_json(mixed), c = parse_json(clean);
  EXPECT_EQ(m["rejected"], bad_lines.size());
  ASSERT_EQ(m["errors"].size(), bad_lines.size());
  for (size_t i = 0; i < bad_lines.size(); ++i) {
    EXPECT_EQ(m["errors"][i]["line"], bad_lines[i]) << i;
    EXPECT_FALSE(m["errors"][i]["message"].get<std::string>().empty()) << i;
  }
  EXPECT_EQ(m["errors"][1]["field"], "execution_time");
  EXPECT_EQ(m["errors"][2]["field"], "success");
  EXPECT_EQ(c["rejected"], 0);
  for (const char* key : {"executions", "tasks", "agents", "routed_success", "best_single_success", "rules_success",
                          "oracle_success", "selector_auc"}) {
    EXPECT_EQ(m[key], c[key]) << key;
  }
  // On the terminal: the count and the lines.
  auto text = run({"evaluate", "--data", (dir_ / "mixed.jsonl").string(), "--folds", "2"}, {}, std::chrono::seconds(300));
  EXPECT_NE(text.out.find(std::to_string(bad_lines.size()) + " records of the file were rejected and left out"),
            std::string::npos)
      << describe(text);
  EXPECT_NE(text.out.find("line " + std::to_string(bad_lines[0]) + ":"), std::string::npos) << describe(text);
}

// Logged online-mode decisions joined with the runs that followed give inverse-propensity
// estimates: here the logging policy explored with propensity 0.5 between two agents, the
// models' greedy choice was always "good" (which succeeded every time) and the rules' always
// "bad" (which never did).
TEST_F(Evaluate, EstimatesPoliciesFromAStoresLoggedDecisions) {
  const std::string url = db("logged.db");
  {
    auto store = open_store(url);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->migrate().ok());
    std::vector<RecommendationLogRow> log;
    std::vector<Execution> runs;
    for (int i = 0; i < 40; ++i) {
      const bool good = i % 2 == 0;
      RecommendationLogRow row;
      row.recommendation_id = "rec-" + std::to_string(i);
      row.created_us = 1000 + i;
      row.mode = i < 38 ? "online" : "exploit";  // exploit decisions are not randomised: left out
      row.model_version = "v1.1.0_20260101T000000Z";
      row.chosen_agent = good ? "good" : "bad";
      row.model_agent = "good";
      row.rules_agent = "bad";
      row.propensity = 0.5;
      row.explored = !good;
      log.push_back(row);
      Execution e;
      e.agent_id = row.chosen_agent;
      e.task_id = "t-" + std::to_string(i);
      e.execution_time = 10;
      e.success = good;
      e.recommendation_id = row.recommendation_id;
      e.content_hash = "h" + std::to_string(i);
      e.timestamp_us = 1000 + i;
      runs.push_back(e);
    }
    ASSERT_TRUE((*store)->recommendation_log().log_recommendations(log).ok());
    auto writer = (*store)->executions().open_writer();
    ASSERT_TRUE(writer.ok());
    std::vector<const Execution*> ptrs;
    for (const auto& e : runs) ptrs.push_back(&e);
    std::vector<int64_t> ids;
    ASSERT_TRUE((*writer)->begin().ok());
    ASSERT_TRUE((*writer)->insert(ptrs, 1, ids).ok());
    ASSERT_TRUE((*writer)->commit().ok());
  }
  auto r = run({"evaluate", "--db", url, "--data", swebench_executions().string(), "--folds", "2", "--json"}, {},
               std::chrono::seconds(300));
  ASSERT_TRUE(r.code == 0 || r.code == 1) << describe(r);
  auto j = parse_json(r);
  const auto& off = j["off_policy"];
  EXPECT_EQ(off["decisions"], 38) << off.dump();
  EXPECT_NEAR(off["logged_success"].get<double>(), 0.5, 1e-9);
  EXPECT_NEAR(off["models_greedy"]["ips"].get<double>(), 1.0, 1e-9);   // (19 x 1/0.5) / 38
  EXPECT_NEAR(off["models_greedy"]["snips"].get<double>(), 1.0, 1e-9);
  EXPECT_EQ(off["models_greedy"]["matched"], 19);
  EXPECT_NEAR(off["rules"]["ips"].get<double>(), 0.0, 1e-9);
  EXPECT_EQ(j["executions"], 12000);  // --data was replayed, not the store
}

}  // namespace
}  // namespace agentlearn

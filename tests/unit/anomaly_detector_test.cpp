#include "ml/anomaly_detector.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "app/evaluation_data.hpp"

namespace agentlearn::ml {
namespace {

std::vector<Execution> normal_runs(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> fast(std::log(10.0), 0.3), slow(std::log(100.0), 0.3);
  std::vector<Execution> rows;
  for (size_t i = 0; i < n; ++i) {
    Execution e;
    e.agent_id = i % 2 ? "fast" : "slow";
    e.task_id = "t" + std::to_string(i);
    e.task_type = i % 3 ? "bug" : "docs";
    e.execution_time = i % 2 ? fast(rng) : slow(rng);
    e.cost_usd = e.execution_time / 100;
    e.success = i % 5 != 0;
    rows.push_back(e);
  }
  return rows;
}

TEST(AnomalyDetector, FlagsRunsFarFromTheirAgentsUsualValues) {
  auto rows = normal_runs(2000, 1);
  auto d = AnomalyDetector::train(rows, AnomalyDetectorParams{});
  ASSERT_TRUE(d.ok()) << d.status().message();
  Execution usual = rows[1];
  usual.execution_time = 10;
  usual.cost_usd = 0.1;
  // 100 s is usual for "slow" but 10x for "fast": only the agent baseline can tell.
  Execution odd = usual;
  odd.execution_time = 100;
  odd.cost_usd = 1.0;
  EXPECT_GT(d->score(odd), d->score(usual) + 0.1);
  EXPECT_TRUE(d->is_anomaly(d->score(odd)));
  EXPECT_FALSE(d->is_anomaly(d->score(usual)));
  // Unknown agent and no cost: scored, not crashed.
  Execution stranger;
  stranger.agent_id = "new";
  stranger.execution_time = 5;
  double s = d->score(stranger);
  EXPECT_TRUE(s > 0 && s <= 1);
}

TEST(AnomalyDetector, SerializesToIdenticalScoresAndRefusesBadInput) {
  auto rows = normal_runs(500, 2);
  auto d = AnomalyDetector::train(rows, AnomalyDetectorParams{});
  ASSERT_TRUE(d.ok());
  auto back = AnomalyDetector::deserialize(d->serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(d->score(rows[i]), back->score(rows[i]));
  EXPECT_EQ(d->threshold(), back->threshold());
  std::string blob = d->serialize();
  EXPECT_FALSE(AnomalyDetector::deserialize(blob.substr(0, blob.size() / 2)).ok());
  EXPECT_FALSE(AnomalyDetector::train({}, AnomalyDetectorParams{}).ok());
  AnomalyDetectorParams too_many;
  too_many.contamination = 0.9;
  EXPECT_FALSE(AnomalyDetector::train(rows, too_many).ok());
  AnomalyDetectorParams fewer;
  fewer.forest.n_estimators = 5;
  auto e = AnomalyDetector::train(rows, fewer);
  ASSERT_TRUE(e.ok());
  EXPECT_NE(e->score(rows[0]), d->score(rows[0]));
}

}  // namespace
}  // namespace agentlearn::ml

namespace agentlearn::ml {
namespace {

// A run of the real SWE-bench data with 100x its steps: flagged, and the reason names
// execution_time against what this agent typically takes on this repository's tasks.
TEST(AnomalyDetector, ExplainsAnInjectedSlowRunInRealDataByItsExecutionTime) {
  auto rows = load_executions_jsonl(
      (std::filesystem::path(AGENTLEARN_SHARED_DATA) / "swebench-verified/executions.jsonl").string());
  ASSERT_TRUE(rows.ok()) << "the shared data is needed: " << rows.status().message();
  AnomalyDetectorParams params;
  params.forest.n_estimators = 50;
  auto d = AnomalyDetector::train(*rows, params);
  ASSERT_TRUE(d.ok()) << d.status().message();
  Execution bad = (*rows)[123];
  bad.execution_time *= 100;
  ASSERT_TRUE(d->is_anomaly(d->score(bad)));
  auto reasons = d->explain(bad);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons[0].feature, "execution_time");
  EXPECT_EQ(reasons[0].value, bad.execution_time);
  EXPECT_EQ(reasons[0].baseline, "agent_task_type");
  EXPECT_GT(reasons[0].ratio, 20);
  EXPECT_NEAR(reasons[0].ratio, reasons[0].value / reasons[0].typical, 1e-9);
  // The typical value: the geometric mean of this agent's steps on this task type, pulled
  // toward the agent's overall by the smoothing (so between the two).
  double sum = 0, n = 0, all_sum = 0, all_n = 0;
  for (const auto& e : *rows) {
    if (e.agent_id != bad.agent_id) continue;
    all_sum += std::log(e.execution_time), all_n += 1;
    if (e.task_type == bad.task_type) sum += std::log(e.execution_time), n += 1;
  }
  const double own = std::exp(sum / n), overall = std::exp(all_sum / all_n);
  EXPECT_GE(reasons[0].typical, std::min(own, overall) * 0.999);
  EXPECT_LE(reasons[0].typical, std::max(own, overall) * 1.001);
  const std::string why = AnomalyDetector::describe(bad, reasons);
  EXPECT_EQ(why.rfind("execution_time ", 0), 0u) << why;
  EXPECT_NE(why.find("for agent " + bad.agent_id + " on " + *bad.task_type + " tasks"), std::string::npos) << why;

  // The same run as recorded: nothing stands out, and the sentence names only the furthest.
  auto usual = d->explain((*rows)[123]);
  EXPECT_LT(std::abs(std::log(usual[0].ratio)), std::log(20.0));
  // An unknown agent is compared with every run's typical value.
  Execution stranger = (*rows)[123];
  stranger.agent_id = "nobody";
  EXPECT_EQ(d->explain(stranger)[0].baseline, "all_runs");
  Execution untyped = (*rows)[123];
  untyped.task_type.reset();
  EXPECT_EQ(d->explain(untyped)[0].baseline, "agent");
}

}  // namespace
}  // namespace agentlearn::ml

#include "ml/anomaly_detector.hpp"

#include <gtest/gtest.h>

#include <random>

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

TEST(AnomalyDetector, HistoryIsTheAgentAndItsTaskType) {
  auto rows = normal_runs(600, 3);
  auto d = AnomalyDetector::train(rows, AnomalyDetectorParams{});
  ASSERT_TRUE(d.ok());
  Execution e = rows[1];
  EXPECT_TRUE(d->has_history(e));
  e.task_type.reset();
  EXPECT_TRUE(d->has_history(e));  // the agent alone
  e.task_type = "translation";     // a type the agent never ran
  EXPECT_FALSE(d->has_history(e));
  e.agent_id = "new";
  e.task_type.reset();
  EXPECT_FALSE(d->has_history(e));
  // The history survives serialization.
  auto back = AnomalyDetector::deserialize(d->serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->has_history(rows[2]));
  EXPECT_FALSE(back->has_history(e));
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

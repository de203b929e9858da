// Per-agent figures for GET /agents/performance: numpy-compatible percentiles, and the oracle
// the analytics tests compare the cells with, checked here by hand (counts, rates, mean cost
// over the runs with cost, last_seen, sorted output).
#include "service/agent_stats.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../support/analytics_oracle.hpp"

namespace agentlearn {
namespace {

// Expected values are numpy.percentile(values, q * 100) (method "linear"), worked by hand:
// position = q * (n - 1), then interpolate between the two closest ranks.
TEST(PercentileLinear, MatchesNumpy) {
  const std::vector<double> v = {1, 2, 3, 4, 10};
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.50), 3.0);   // pos 2
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.95), 8.8);   // pos 3.8: 4 + 0.8 * 6
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.99), 9.76);  // pos 3.96: 4 + 0.96 * 6
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 1.0), 10.0);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.25), 2.0);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.10), 1.4);  // pos 0.4
}

TEST(PercentileLinear, SingleValue) {
  for (double q : {0.0, 0.5, 0.95, 0.99, 1.0}) EXPECT_DOUBLE_EQ(percentile_linear({7.5}, q), 7.5);
}

TEST(PercentileLinear, TwoValues) {
  const std::vector<double> v = {1, 3};
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.50), 2.0);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.95), 2.9);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0.99), 2.98);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 1.0), 3.0);
}

TEST(PercentileLinear, EvenCountMedianAndTies) {
  EXPECT_DOUBLE_EQ(percentile_linear({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(percentile_linear({5, 5, 5, 5}, 0.99), 5.0);
  // numpy.percentile(range(1, 101), 99) == 99.01
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_DOUBLE_EQ(percentile_linear(hundred, 0.99), 99.01);
  EXPECT_DOUBLE_EQ(percentile_linear(hundred, 0.95), 95.05);
  EXPECT_DOUBLE_EQ(percentile_linear(hundred, 0.50), 50.5);
}

Execution row(std::string_view agent, double time, bool success, int64_t ts, std::optional<double> cost = {},
              bool anomaly = false) {
  Execution r;
  r.agent_id = agent;
  r.execution_time = time;
  r.success = success;
  r.timestamp_us = ts;
  r.cost_usd = cost;
  r.anomaly = anomaly;
  return r;
}

TEST(AgentFiguresOracle, PerAgentFigures) {
  testing::AgentFiguresOracle acc;
  // Agent "b": times given out of order; the percentiles must sort them.
  acc.add(row("b", 10, true, 500, 0.5));
  acc.add(row("b", 1, false, 100));
  acc.add(row("b", 4, true, 900, 1.5, true));
  acc.add(row("b", 2, true, 300));
  acc.add(row("b", 3, false, 200, 1.0));
  acc.add(row("a", 7, true, -50));
  EXPECT_EQ(acc.total(), 6u);

  auto out = acc.finish();
  ASSERT_EQ(out.size(), 2u);
  const AgentPerformance& a = out[0];
  const AgentPerformance& b = out[1];
  EXPECT_EQ(a.agent_id, "a");
  EXPECT_EQ(b.agent_id, "b");

  EXPECT_EQ(b.executions, 5u);
  EXPECT_EQ(b.successes, 3u);
  EXPECT_DOUBLE_EQ(b.success_rate, 0.6);
  EXPECT_DOUBLE_EQ(b.time_mean, 4.0);
  EXPECT_DOUBLE_EQ(b.time_p50, 3.0);
  EXPECT_DOUBLE_EQ(b.time_p95, 8.8);
  EXPECT_DOUBLE_EQ(b.time_p99, 9.76);
  ASSERT_TRUE(b.mean_cost_usd);
  EXPECT_DOUBLE_EQ(*b.mean_cost_usd, 1.0) << "averaged over the 3 runs with a cost, not all 5";
  EXPECT_EQ(b.cost_samples, 3u);
  EXPECT_EQ(b.last_seen_us, 900);
  EXPECT_EQ(b.anomalies, 1u);

  EXPECT_EQ(a.executions, 1u);
  EXPECT_DOUBLE_EQ(a.success_rate, 1.0);
  EXPECT_DOUBLE_EQ(a.time_p50, 7.0);
  EXPECT_DOUBLE_EQ(a.time_p99, 7.0);
  EXPECT_FALSE(a.mean_cost_usd) << "no run reported a cost";
  EXPECT_EQ(a.cost_samples, 0u);
  EXPECT_EQ(a.last_seen_us, -50) << "a negative timestamp is still the latest one";
  EXPECT_EQ(a.anomalies, 0u);
}

TEST(AgentFiguresOracle, ZeroCostCounts) {
  testing::AgentFiguresOracle acc;
  acc.add(row("a", 1, true, 0, 0.0));
  acc.add(row("a", 1, true, 0));
  auto out = acc.finish();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].mean_cost_usd);
  EXPECT_DOUBLE_EQ(*out[0].mean_cost_usd, 0.0);
  EXPECT_EQ(out[0].cost_samples, 1u);
}

TEST(AgentFiguresOracle, AllFailures) {
  testing::AgentFiguresOracle acc;
  acc.add(row("a", 1, false, 0));
  acc.add(row("a", 2, false, 0));
  auto out = acc.finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].successes, 0u);
  EXPECT_DOUBLE_EQ(out[0].success_rate, 0.0);
}

TEST(AgentFiguresOracle, OutputIsSortedById) {
  testing::AgentFiguresOracle acc;
  for (const char* id : {"zeta", "Alpha", "alpha", "beta-2", "beta-10", "agent-é"}) acc.add(row(id, 1, true, 0));
  auto out = acc.finish();
  std::vector<std::string> ids;
  for (auto& p : out) ids.push_back(p.agent_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"Alpha", "agent-é", "alpha", "beta-10", "beta-2", "zeta"}));
}

TEST(AgentFiguresOracle, EmptyAndReuse) {
  testing::AgentFiguresOracle acc;
  EXPECT_TRUE(acc.finish().empty());
  acc.add(row("a", 1, true, 0));
  EXPECT_EQ(acc.finish().size(), 1u);
  EXPECT_TRUE(acc.finish().empty()) << "finish() hands the agents over";
}

TEST(AgentFiguresOracle, ManyRowsMatchADirectComputation) {
  testing::AgentFiguresOracle acc;
  std::vector<double> times;
  double sum = 0;
  for (int i = 0; i < 1000; ++i) {
    double t = static_cast<double>((i * 7919) % 1000) / 10.0;  // a permutation of 0..99.9
    times.push_back(t);
    sum += t;
    acc.add(row("a", t, i % 4 != 0, i));
  }
  auto out = acc.finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].executions, 1000u);
  EXPECT_DOUBLE_EQ(out[0].success_rate, 0.75);
  EXPECT_NEAR(out[0].time_mean, sum / 1000, 1e-9);
  // Sorted values are 0.0, 0.1, ..., 99.9: p50 at pos 499.5 -> 49.95; p99 at 989.01 -> 98.901.
  EXPECT_NEAR(out[0].time_p50, 49.95, 1e-9);
  EXPECT_NEAR(out[0].time_p95, 94.905, 1e-9);
  EXPECT_NEAR(out[0].time_p99, 98.901, 1e-9);
  EXPECT_EQ(out[0].last_seen_us, 999);
}

}  // namespace
}  // namespace agentlearn

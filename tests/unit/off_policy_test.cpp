// estimate_policy: inverse propensity scoring recovers a policy's value from logs of an
// epsilon-greedy policy that never ran it.
#include "ml/off_policy.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "ml/exploration.hpp"

namespace agentlearn::ml {
namespace {

TEST(OffPolicy, RecoversTheValueOfAPolicyThatNeverRan) {
  // Three agents with success rates 0.3, 0.6, 0.9; the logging policy is greedy for agent 0
  // with exploration 0.3 over all three; the evaluated policy always picks agent 2.
  const char* names[] = {"a", "b", "c"};
  const double rate[] = {0.3, 0.6, 0.9};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<LoggedDecision> log;
  for (int i = 0; i < 200000; ++i) {
    auto c = epsilon_greedy(3, 0.3, 3, rng());
    log.push_back({names[c.position], "c", c.propensity, u(rng) < rate[c.position] ? 1.0 : 0.0});
  }
  auto e = estimate_policy(log);
  EXPECT_EQ(e.decisions, log.size());
  EXPECT_NEAR(e.matched / static_cast<double>(e.decisions), 0.1, 0.005);
  EXPECT_NEAR(e.logged_reward, 0.8 * 0.3 + 0.1 * 0.6 + 0.1 * 0.9 + 0 * 0.0, 0.01);
  EXPECT_NEAR(e.ips, 0.9, 0.02);
  EXPECT_NEAR(e.snips, 0.9, 0.01);
}

TEST(OffPolicy, SkipsImpossiblePropensitiesAndHandlesNoData) {
  auto empty = estimate_policy({});
  EXPECT_EQ(empty.decisions, 0u);
  std::vector<LoggedDecision> bad = {{"a", "a", 0, 1}, {"a", "a", -1, 1}, {"a", "a", 2, 1}, {"a", "a", NAN, 1}};
  EXPECT_EQ(estimate_policy(bad).decisions, 0u);
  std::vector<LoggedDecision> one = {{"a", "a", 0.5, 1}, {"b", "a", 0.5, 0}};
  auto e = estimate_policy(one);
  EXPECT_EQ(e.decisions, 2u);
  EXPECT_DOUBLE_EQ(e.ips, 1.0);  // (1/0.5) / 2
  EXPECT_DOUBLE_EQ(e.snips, 1.0);
}

}  // namespace
}  // namespace agentlearn::ml

// SuccessRules: smoothed rates per agent and task type, falling back to the agent's and to
// everyone's, with counts and the field comparison behind strengths and weaknesses.
#include "ml/success_rules.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace agentlearn::ml {
namespace {

TEST(SuccessRules, EmptyRulesAnswerLaplacesRule) {
  SuccessRules r;
  EXPECT_DOUBLE_EQ(r.rate("anyone", "bug"), 0.5);
  EXPECT_EQ(r.samples("anyone", "bug"), 0u);
  EXPECT_TRUE(r.agents().empty());
  EXPECT_FALSE(r.knows("anyone"));
}

// Time and cost: geometric means of the runs, smoothed as the rates are (the agent's toward
// everyone's, the agent's on a type toward its own); unknown without any run that has one.
TEST(SuccessRules, EstimatesTimeAndCostAsSmoothedGeometricMeans) {
  SuccessRules r(5);
  EXPECT_TRUE(std::isnan(r.estimate("a", "bug").time));
  for (int i = 0; i < 10; ++i) r.add("a", "bug", true, 10, 1.0);
  for (int i = 0; i < 10; ++i) r.add("b", "bug", true, 100, std::nullopt);
  const double global_time = (10 * std::log(10.0) + 10 * std::log(100.0)) / 20;
  const double a_time = (10 * std::log(10.0) + 5 * global_time) / 15;
  const double a_bug_time = (10 * std::log(10.0) + 5 * a_time) / 15;
  SuccessRules::Estimate a = r.estimate("a", "bug");
  EXPECT_NEAR(a.time, std::exp(a_bug_time), 1e-9);
  EXPECT_NEAR(r.estimate("a", "").time, std::exp(a_time), 1e-9);
  EXPECT_NEAR(r.estimate("nobody", "bug").time, std::exp(global_time), 1e-9);
  EXPECT_NEAR(a.success_probability, r.rate("a", "bug"), 1e-12);
  // Only a's runs have a cost: b's estimate is pulled to a's $1 (the only prior there is).
  EXPECT_NEAR(a.cost, 1.0, 1e-9);
  EXPECT_NEAR(r.estimate("b", "bug").cost, 1.0, 1e-9);
  // A run without a time (the three-argument add) counts for the rate only.
  r.add("c", "bug", false);
  EXPECT_NEAR(r.estimate("c", "bug").time, std::exp(global_time), 1e-9);
  EXPECT_LT(r.estimate("c", "bug").success_probability, a.success_probability);
}

TEST(SuccessRules, SmoothsTowardTheEnclosingRate) {
  SuccessRules r(5);
  for (int i = 0; i < 20; ++i) r.add("a", "bug", i < 18);  // 90% on bugs
  for (int i = 0; i < 20; ++i) r.add("a", "docs", i < 4);  // 20% on docs
  for (int i = 0; i < 20; ++i) r.add("b", "bug", i < 10);
  r.add("b", "", true);  // no type: counts for b overall only
  const double global = (18 + 4 + 10 + 1 + 1.0) / (61 + 2);
  const double a = (22 + 5 * global) / (40 + 5);
  EXPECT_NEAR(r.rate("a", ""), a, 1e-12);
  EXPECT_NEAR(r.rate("a", "bug"), (18 + 5 * a) / 25, 1e-12);
  EXPECT_NEAR(r.rate("a", "unseen-type"), a, 1e-12);
  EXPECT_NEAR(r.rate("nobody", "bug"), global, 1e-12);
  EXPECT_GT(r.rate("a", "bug"), r.rate("b", "bug"));
  EXPECT_LT(r.rate("a", "docs"), r.rate("b", "docs"));  // b's docs rate is its overall rate
  EXPECT_EQ(r.samples("a", "bug"), 20u);
  EXPECT_EQ(r.samples("b", ""), 21u);
  EXPECT_EQ(r.agent_counts("b").runs, 21u);
  EXPECT_EQ(r.type_counts("bug").runs, 40u);
  EXPECT_EQ(r.agents(), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(r.agent_types("a").size(), 2u);
  EXPECT_EQ(r.agent_types("a")[0].first, "bug");
  // Against the field: a beats the field on bugs, b does not.
  EXPECT_GT(r.rate_against_field("a", "bug"), r.type_rate("bug"));
  EXPECT_LT(r.rate_against_field("b", "bug"), r.type_rate("bug"));
}

}  // namespace
}  // namespace agentlearn::ml

// SuccessRules: smoothed rates per agent and task type, falling back to the agent's and to
// everyone's, with counts and the field comparison behind strengths and weaknesses.
#include "ml/success_rules.hpp"

#include <gtest/gtest.h>

namespace agentlearn::ml {
namespace {

TEST(SuccessRules, EmptyRulesAnswerLaplacesRule) {
  SuccessRules r;
  EXPECT_DOUBLE_EQ(r.rate("anyone", "bug"), 0.5);
  EXPECT_EQ(r.samples("anyone", "bug"), 0u);
  EXPECT_TRUE(r.agents().empty());
  EXPECT_FALSE(r.knows("anyone"));
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

// The quality/cost front and RouterBench's AIQ on points whose hull is worked out by hand.
#include "ml/pareto.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace agentlearn::ml {
namespace {

TEST(Pareto, TheFrontKeepsOnlyUndominatedPointsCheapestFirst) {
  std::vector<TradeoffPoint> p = {{"d", 4, 0.9}, {"a", 1, 0.5}, {"c", 3, 0.6}, {"b", 2, 0.7}, {"x", NAN, 0.99}};
  auto front = pareto_front(p);
  ASSERT_EQ(front.size(), 3u);
  EXPECT_EQ(front[0].form, "a");
  EXPECT_EQ(front[1].form, "b");
  EXPECT_EQ(front[2].form, "d");
}

TEST(Pareto, AiqIsTheAreaUnderTheNonDecreasingConvexHullOverTheCostRange) {
  // (3, 0.6) is raised to 0.7 (a dearer setting need not do worse), then falls under the
  // hull (2, 0.7)-(4, 0.9). Area 1 x 0.6 + 2 x 0.8 = 2.2 over a range of 3.
  std::vector<TradeoffPoint> p = {{"a", 1, 0.5}, {"b", 2, 0.7}, {"c", 3, 0.6}, {"d", 4, 0.9}};
  EXPECT_NEAR(area_under_hull(p), 2.2 / 3, 1e-12);
  // A dip inside the hull counts as the chord above it: 2 x 0.7 over 2.
  std::vector<TradeoffPoint> q = {{"a", 1, 0.5}, {"b", 2, 0.55}, {"c", 3, 0.9}};
  EXPECT_NEAR(area_under_hull(q), 0.7, 1e-12);
  // One cost: its best quality. Nothing finite: NaN.
  std::vector<TradeoffPoint> one = {{"a", 2, 0.4}, {"b", 2, 0.6}};
  EXPECT_NEAR(area_under_hull(one), 0.6, 1e-12);
  EXPECT_TRUE(std::isnan(area_under_hull(std::vector<TradeoffPoint>{{"a", NAN, 0.5}})));
}

}  // namespace
}  // namespace agentlearn::ml

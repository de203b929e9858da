// rank_candidates: expected utility (success less the price of predicted cost and time),
// limits before utility, deterministic ties.
#include "ml/routing_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace agentlearn::ml {
namespace {

std::vector<size_t> order(const std::vector<RankedCandidate>& r) {
  std::vector<size_t> out;
  for (const auto& c : r) out.push_back(c.index);
  return out;
}

TEST(RoutingPolicy, SuccessOnlyRanksByProbability) {
  std::vector<CandidateScoreInput> c = {{0.6, 10, 1.0}, {0.8, 50, 2.0}, {0.7, 5, 0.1}};
  EXPECT_EQ(order(rank_candidates(c, Objective{})), (std::vector<size_t>{1, 2, 0}));
  EXPECT_TRUE(Objective{}.success_only());
}

TEST(RoutingPolicy, CostAndTimeWeightsTradeSuccessForPrice) {
  std::vector<CandidateScoreInput> c = {{0.8, 50, 2.0}, {0.7, 5, 0.1}};
  auto r = rank_candidates(c, Objective{0.1, 0, {}, {}, 0, {}});  // 0.8 - 0.2 = 0.6 < 0.7 - 0.01
  EXPECT_EQ(order(r), (std::vector<size_t>{1, 0}));
  EXPECT_NEAR(r[0].score, 0.69, 1e-12);
  EXPECT_EQ(order(rank_candidates(c, Objective{0, 0.01, {}, {}, 0, {}})), (std::vector<size_t>{1, 0}));  // 0.3 vs 0.65
  EXPECT_EQ(order(rank_candidates(c, Objective{0.01, 0, {}, {}, 0, {}})), (std::vector<size_t>{0, 1}));
}

TEST(RoutingPolicy, LimitsRankOverLimitCandidatesLastAndUnknownCostsCountAsWithin) {
  std::vector<CandidateScoreInput> c = {{0.9, 100, 3.0}, {0.5, 10, 0.5}, {0.6, 10, NAN}};
  auto r = rank_candidates(c, Objective{0, 0, 1.0, {}, 0, {}});
  EXPECT_EQ(order(r), (std::vector<size_t>{2, 1, 0}));
  EXPECT_FALSE(r[2].within_limits);
  EXPECT_TRUE(r[0].within_limits);
  r = rank_candidates(c, Objective{0, 0, {}, 50.0, 0, {}});
  EXPECT_EQ(order(r), (std::vector<size_t>{2, 1, 0}));
  // Nobody within the limits: still a full ranking, best utility first.
  r = rank_candidates(c, Objective{0, 0, 0.01, {}, 0, {}});
  EXPECT_EQ(r[0].index, 2u);  // the unknown cost counts as within
}

// max_quality_loss: the cheapest candidate within that much of the best estimated success,
// then the rest by utility; the band is taken among the candidates within the limits.
TEST(RoutingPolicy, MaxQualityLossTakesTheCheapestCloseEnoughToTheBest) {
  std::vector<CandidateScoreInput> c = {{0.80, 50, 2.0}, {0.78, 20, 0.5}, {0.70, 5, 0.05}, {0.79, 9, NAN}};
  Objective o;
  o.max_quality_loss = 0.03;  // the band: 0.80, 0.78, 0.79 (unknown cost last in it)
  EXPECT_EQ(order(rank_candidates(c, o)), (std::vector<size_t>{1, 0, 3, 2}));
  o.max_quality_loss = 0.10;  // now the 0.05 candidate is in the band too
  EXPECT_EQ(order(rank_candidates(c, o)), (std::vector<size_t>{2, 1, 0, 3}));
  o.max_quality_loss = 0;  // only the best
  EXPECT_EQ(rank_candidates(c, o).front().index, 0u);
  EXPECT_FALSE(o.success_only());
  // With a cost limit the best within it sets the band: 0.80 at $2 is over $1.
  o.max_quality_loss = 0.03;
  o.max_cost = 1.0;
  EXPECT_EQ(order(rank_candidates(c, o)), (std::vector<size_t>{1, 3, 2, 0}));
}

// relative_cost_weight prices cost in units of the likeliest candidate's typical cost, so the
// same weight means the same on $0.005 tasks as on $5 tasks.
TEST(RoutingPolicy, RelativeCostWeightIsScaleFree) {
  for (double scale : {0.001, 1.0, 1000.0}) {
    SCOPED_TRACE(scale);
    std::vector<CandidateScoreInput> c = {{0.80, 10, 2.0 * scale, 2.0 * scale}, {0.74, 10, 0.2 * scale, 0.25 * scale}};
    Objective o;
    o.relative_cost_weight = 0.1;  // 0.80 - 0.1 * 1 = 0.70 < 0.74 - 0.1 * 0.1 = 0.73
    auto r = rank_candidates(c, o);
    EXPECT_EQ(order(r), (std::vector<size_t>{1, 0}));
    EXPECT_NEAR(r[0].score, 0.73, 1e-9);
    o.relative_cost_weight = 0.05;  // 0.75 > 0.735
    EXPECT_EQ(order(rank_candidates(c, o)), (std::vector<size_t>{0, 1}));
  }
  // No typical cost known: the weight cannot be priced and changes nothing.
  std::vector<CandidateScoreInput> unknown = {{0.80, 10, 2.0}, {0.74, 10, 0.2}};
  Objective o;
  o.relative_cost_weight = 10;
  EXPECT_EQ(order(rank_candidates(unknown, o)), (std::vector<size_t>{0, 1}));
}

TEST(RoutingPolicy, TiesKeepInputOrder) {
  std::vector<CandidateScoreInput> c = {{0.5, 1, 1}, {0.5, 1, 1}, {0.5, 1, 1}};
  EXPECT_EQ(order(rank_candidates(c, Objective{})), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(rank_candidates({}, Objective{}).empty());
}

}  // namespace
}  // namespace agentlearn::ml

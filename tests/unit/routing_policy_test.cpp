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
  auto r = rank_candidates(c, Objective{0.1, 0, {}, {}});  // 0.8 - 0.2 = 0.6 < 0.7 - 0.01
  EXPECT_EQ(order(r), (std::vector<size_t>{1, 0}));
  EXPECT_NEAR(r[0].score, 0.69, 1e-12);
  EXPECT_EQ(order(rank_candidates(c, Objective{0, 0.01, {}, {}})), (std::vector<size_t>{1, 0}));  // 0.3 vs 0.65
  EXPECT_EQ(order(rank_candidates(c, Objective{0.01, 0, {}, {}})), (std::vector<size_t>{0, 1}));
}

TEST(RoutingPolicy, LimitsRankOverLimitCandidatesLastAndUnknownCostsCountAsWithin) {
  std::vector<CandidateScoreInput> c = {{0.9, 100, 3.0}, {0.5, 10, 0.5}, {0.6, 10, NAN}};
  auto r = rank_candidates(c, Objective{0, 0, 1.0, {}});
  EXPECT_EQ(order(r), (std::vector<size_t>{2, 1, 0}));
  EXPECT_FALSE(r[2].within_limits);
  EXPECT_TRUE(r[0].within_limits);
  r = rank_candidates(c, Objective{0, 0, {}, 50.0});
  EXPECT_EQ(order(r), (std::vector<size_t>{2, 1, 0}));
  // Nobody within the limits: still a full ranking, best utility first.
  r = rank_candidates(c, Objective{0, 0, 0.01, {}});
  EXPECT_EQ(r[0].index, 2u);  // the unknown cost counts as within
}

TEST(RoutingPolicy, TiesKeepInputOrder) {
  std::vector<CandidateScoreInput> c = {{0.5, 1, 1}, {0.5, 1, 1}, {0.5, 1, 1}};
  EXPECT_EQ(order(rank_candidates(c, Objective{})), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(rank_candidates({}, Objective{}).empty());
}

}  // namespace
}  // namespace agentlearn::ml

// epsilon_greedy: the greedy choice most of the time, uniform exploration over the plausible
// head, and propensities that match the observed frequencies.
#include "ml/exploration.hpp"

#include <gtest/gtest.h>

#include <random>

namespace agentlearn::ml {
namespace {

TEST(Exploration, ZeroRateNeverExplores) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    auto c = epsilon_greedy(10, 0.0, 3, rng());
    EXPECT_EQ(c.position, 0u);
    EXPECT_DOUBLE_EQ(c.propensity, 1.0);
    EXPECT_FALSE(c.explored);
  }
}

TEST(Exploration, FrequenciesMatchThePropensities) {
  std::mt19937_64 rng(7);
  const double rate = 0.3;
  const size_t plausible = 3, n = 200000;
  std::vector<size_t> counts(10, 0);
  for (size_t i = 0; i < n; ++i) {
    auto c = epsilon_greedy(10, rate, plausible, rng());
    ASSERT_LT(c.position, plausible);
    ++counts[c.position];
    EXPECT_DOUBLE_EQ(c.propensity, epsilon_greedy_propensity(c.position, 10, rate, plausible));
    EXPECT_EQ(c.explored, c.position != 0);
  }
  for (size_t p = 0; p < 10; ++p) {
    double expected = epsilon_greedy_propensity(p, 10, rate, plausible);
    EXPECT_NEAR(static_cast<double>(counts[p]) / n, expected, 0.005) << "position " << p;
  }
  EXPECT_NEAR(epsilon_greedy_propensity(0, 10, rate, plausible) + 2 * epsilon_greedy_propensity(1, 10, rate, plausible),
              1.0, 1e-12);
}

TEST(Exploration, SmallRankingsAndHostileRates) {
  EXPECT_EQ(epsilon_greedy(0, 0.5, 3, 123).position, 0u);
  auto one = epsilon_greedy(1, 1.0, 3, 0);
  EXPECT_EQ(one.position, 0u);
  EXPECT_DOUBLE_EQ(one.propensity, 1.0);
  EXPECT_FALSE(one.explored);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100; ++i) {
    EXPECT_LT(epsilon_greedy(2, 5.0, 3, rng()).position, 2u);  // clamped to 1
    EXPECT_EQ(epsilon_greedy(5, -1.0, 3, rng()).position, 0u);  // clamped to 0
  }
}

}  // namespace
}  // namespace agentlearn::ml

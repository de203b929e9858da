#include "ml/performance_predictor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ml/metrics.hpp"

namespace agentlearn::ml {
namespace {

TEST(PerformancePredictor, LearnsLogTimeAndLogCostAndRoundTrips) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(0, 1);
  DenseMatrix x(2000, 2);
  std::vector<float> lt(2000), lc(2000);
  for (size_t i = 0; i < 2000; ++i) {
    x.at(i, 0) = u(rng);
    x.at(i, 1) = u(rng);
    lt[i] = 2 * x.at(i, 0) + 0.1f * u(rng);
    lc[i] = i % 4 == 0 ? kMissing : -x.at(i, 1);  // a quarter of the runs have no cost
  }
  auto p = PerformancePredictor::train(x, lt, lc, PerformancePredictorParams{});
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_TRUE(p->predicts_cost());
  std::vector<float> pt, pc;
  ASSERT_TRUE(p->predict(x, pt, pc).ok());
  std::vector<double> t(lt.begin(), lt.end()), ptd(pt.begin(), pt.end()), c, pcd;
  for (size_t i = 0; i < 2000; ++i) {
    if (!std::isnan(lc[i])) {
      c.push_back(lc[i]);
      pcd.push_back(pc[i]);
    }
  }
  EXPECT_GT(r2_score(t, ptd), 0.9);
  EXPECT_GT(r2_score(c, pcd), 0.9);

  auto back = PerformancePredictor::deserialize(p->serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  std::vector<float> bt, bc;
  ASSERT_TRUE(back->predict(x, bt, bc).ok());
  EXPECT_EQ(bt, pt);
  EXPECT_EQ(bc, pc);

  PerformancePredictorParams fewer;
  fewer.n_estimators = 5;
  auto q = PerformancePredictor::train(x, lt, lc, fewer);
  ASSERT_TRUE(q.ok());
  std::vector<float> qt, qc;
  ASSERT_TRUE(q->predict(x, qt, qc).ok());
  EXPECT_NE(qt, pt);
}

TEST(PerformancePredictor, NoCostModelWithoutCostsAndBadInputRefused) {
  DenseMatrix x(100, 1, 1.f);
  std::vector<float> lt(100, 1.f), lc(100, kMissing);
  auto p = PerformancePredictor::train(x, lt, lc, PerformancePredictorParams{});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_FALSE(p->predicts_cost());
  std::vector<float> pt, pc;
  ASSERT_TRUE(p->predict(x, pt, pc).ok());
  EXPECT_TRUE(std::isnan(pc[0]));
  auto back = PerformancePredictor::deserialize(p->serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->predicts_cost());
  EXPECT_FALSE(PerformancePredictor::train(x, lt, std::vector<float>(3), PerformancePredictorParams{}).ok());
  EXPECT_FALSE(PerformancePredictor::train(x, lt, lc, PerformancePredictorParams{.learning_rate = 0}).ok());
  std::vector<float> nan_times(100, NAN);
  EXPECT_FALSE(PerformancePredictor::train(x, nan_times, lc, PerformancePredictorParams{}).ok());
}

}  // namespace
}  // namespace agentlearn::ml

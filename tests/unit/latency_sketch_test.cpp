// The latency sketch: quantiles within its relative error of the exact (numpy) ones on
// skewed data, merging equal to sketching the union, encoding round trips, corrupt input
// refused without changing the sketch.
#include "core/latency_sketch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "service/agent_stats.hpp"

namespace agentlearn {
namespace {

TEST(LatencySketch, QuantilesWithinRelativeError) {
  EXPECT_LE(LatencySketch::kRelativeError, 0.01);
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> dist(2.0, 2.0);  // spans many decades
    std::vector<double> v;
    LatencySketch s;
    for (int i = 0; i < 20000; ++i) {
      v.push_back(dist(rng));
      s.add(v.back());
    }
    std::sort(v.begin(), v.end());
    ASSERT_EQ(s.count(), v.size());
    for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
      const double want = percentile_linear(v, q);
      EXPECT_LE(std::abs(s.quantile(q) - want), LatencySketch::kRelativeError * want + 1e-12) << "q=" << q;
    }
  }
}

TEST(LatencySketch, ZerosAndTinyValuesCountAsZero) {
  LatencySketch s;
  s.add(0);
  s.add(0);
  s.add(1e-9);
  s.add(100);
  EXPECT_EQ(s.count(), 4u);
  EXPECT_DOUBLE_EQ(s.quantile(0.5), 0.0);
  EXPECT_NEAR(s.quantile(1.0), 100, 100 * LatencySketch::kRelativeError);
  EXPECT_DOUBLE_EQ(LatencySketch().quantile(0.5), 0.0);
}

TEST(LatencySketch, MergeEqualsUnionAndEncodingRoundTrips) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> dist(0.01);
  LatencySketch a, b, all;
  for (int i = 0; i < 5000; ++i) {
    double x = dist(rng);
    (i % 3 ? a : b).add(x);
    all.add(x);
  }
  LatencySketch merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.encode(), all.encode());
  LatencySketch decoded;
  ASSERT_TRUE(decoded.merge_encoded(a.encode()).ok());
  ASSERT_TRUE(decoded.merge_encoded(b.encode()).ok());
  EXPECT_EQ(decoded.encode(), all.encode());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_DOUBLE_EQ(decoded.quantile(q), all.quantile(q));
  // Compact: one value is a handful of bytes.
  LatencySketch one;
  one.add(42.0);
  EXPECT_LE(one.encode().size(), 6u);
}

TEST(LatencySketch, CorruptEncodingIsRefusedAndAddsNothing) {
  LatencySketch s;
  s.add(5);
  const std::string before = s.encode();
  std::string good;
  {
    LatencySketch t;
    t.add(1);
    t.add(1000);
    good = t.encode();
  }
  for (std::string bad : {std::string("\x80"), good.substr(0, good.size() - 1), good + "x",
                          std::string("\x00\x01\xff\xff\xff\xff\x0f\x01", 8)}) {
    EXPECT_FALSE(s.merge_encoded(bad).ok());
    EXPECT_EQ(s.encode(), before);
  }
}

}  // namespace
}  // namespace agentlearn

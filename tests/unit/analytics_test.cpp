// The analytics range planning over cells (service/analytics.cpp), on a fake store whose
// cells are computed from its rows: decomposition into aligned buckets, and every figure
// against a full scan on random, unaligned filters, with percentiles exact and sketched.
#include "service/analytics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "../support/analytics_oracle.hpp"
#include "fake_stores.hpp"

namespace agentlearn {
namespace {

using namespace analytics;
using testing::FakeAnalyticsStore;
using testing::FakeExecutionStore;

constexpr int64_t kHourUs = 3600LL * 1'000'000;
// 2026-01-05T00:00:00Z, a Monday: not aligned to a week (weeks start on Thursdays, from the epoch).
constexpr int64_t kT0 = 1767571200LL * 1'000'000;

TEST(AnalyticsDecompose, CoversTheRangeWithAlignedBuckets) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    const int64_t a = kT0 + static_cast<int64_t>(rng() % 20000) * kFinestUs - 5000 * kFinestUs;
    const int64_t b = a + static_cast<int64_t>(rng() % 40000) * kFinestUs;
    auto parts = decompose(a, b);
    int64_t cur = a;
    for (const BucketRef& p : parts) {
      const int64_t w = level_width_us(p.level);
      ASSERT_EQ(p.bucket * w, cur);
      cur += w;
    }
    ASSERT_EQ(cur, b);
    // At most (ratio - 1) buckets of each level on each side, plus the widest in between.
    size_t bound = 2 * (11 + 5 + 3 + 6 + 3) + static_cast<size_t>((b - a) / level_width_us(kLevels - 1)) + 1;
    EXPECT_LE(parts.size(), bound);
  }
  EXPECT_TRUE(decompose(kT0, kT0).empty());
  auto day = decompose(kT0, kT0 + 24 * kHourUs);  // a whole UTC day is one cell
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].level, 3);
}

TEST(AnalyticsDecompose, BucketSpansAreAlignedAndClampedAtTheEndsOfTime) {
  const int64_t w = level_width_us(kLevels - 1);
  const TimeSpan s = bucket_span_us(kT0, w);
  EXPECT_EQ(s.to - s.from, w);
  EXPECT_LE(s.from, kT0);
  EXPECT_GT(s.to, kT0);
  EXPECT_EQ(s.from % w, 0);
  const TimeSpan before = bucket_span_us(-1, w);  // floors below zero, not towards it
  EXPECT_EQ(before.from, -w);
  EXPECT_EQ(before.to, 0);
  const TimeSpan last = bucket_span_us(INT64_MAX, w);
  EXPECT_EQ(last.to, INT64_MAX);
  EXPECT_GT(last.from, INT64_MAX - w);  // the bucket holding the last instant
  EXPECT_EQ(last.from % w, 0);
  const TimeSpan first = bucket_span_us(INT64_MIN, w);
  EXPECT_EQ(first.from, INT64_MIN);
  EXPECT_GT(first.to, INT64_MIN);
}

TEST(AnalyticsExactSum, SplitsIntoPartsAndBackAndIsOrderFree) {
  std::mt19937_64 rng(9);
  std::vector<int64_t> values;
  for (int i = 0; i < 20000; ++i) values.push_back(static_cast<int64_t>(rng() % (int64_t{1} << 50)));
  ExactSum a, b;
  for (int64_t v : values) a.add(v);
  std::shuffle(values.begin(), values.end(), rng);
  for (int64_t v : values) b.add(v);
  EXPECT_EQ(a, b);
  EXPECT_GT(a.hi(), 0) << "the sum passed 2^62";
  EXPECT_GE(a.lo(), 0);
  EXPECT_LE(a.lo(), ExactSum::kLoMask);
  EXPECT_EQ(ExactSum::from_parts(a.hi(), a.lo()), a);
  ExactSum neg;
  neg.add(-5);
  EXPECT_EQ(ExactSum::from_parts(neg.hi(), neg.lo()), neg);
  EXPECT_EQ(neg.value(), -5.0);
  // The units: microseconds and nano-dollars, rounded to nearest, saturating.
  EXPECT_EQ(time_units(1.5), 1'500'000);
  EXPECT_EQ(time_units(1e9), 1'000'000'000'000'000);
  EXPECT_EQ(cost_units(0.1), 100'000'000);
  EXPECT_EQ(cost_units(1e300), INT64_MAX);
  EXPECT_EQ(cost_units(std::nan("")), 0);
}

TEST(AnalyticsCellTally, CountsScoredRunsApartFromUnscoredOnes) {
  CellTally t;
  t.add(1.0, true, 0.5, 10, true);
  t.add(2.0, false, std::nullopt, 20, false);
  t.add(3.0, true, 0.25, 30, std::nullopt);  // no history: not scored
  EXPECT_EQ(t.executions, 3u);
  EXPECT_EQ(t.scored, 2u);
  EXPECT_EQ(t.anomalies, 1u);
  EXPECT_EQ(t.time_sum(), 6.0);
  EXPECT_EQ(t.cost_sum(), 0.75);
  EXPECT_EQ(t.cost_n, 2u);
}

TEST(AnalyticsSeries, PicksTheNarrowestStoredWidth) {
  EXPECT_EQ(series_bucket_seconds(kT0, kT0 + 24 * kHourUs, 48), 3600);
  EXPECT_EQ(series_bucket_seconds(kT0, kT0 + 7 * 24 * kHourUs, 48), 6 * 3600);
  EXPECT_EQ(series_bucket_seconds(kT0, kT0 + 90 * 24 * kHourUs, 48), 7 * 86400);
  EXPECT_EQ(series_bucket_seconds(kT0, kT0 + kHourUs, 48), 300);
  EXPECT_EQ(series_bucket_seconds(kT0, kT0 + 1000LL * 24 * kHourUs, 48), 28 * 86400);  // the widest
}

TEST(AnalyticsSeries, NeverMoreThanTheAskedPoints) {
  // Year 1 to year 9999 at the widest stored level would be ~130,000 points: the width grows
  // in whole multiples of that level until the points fit.
  const int64_t year1 = -62135596800LL * 1'000'000, year9999 = 253402300799LL * 1'000'000;
  for (int buckets : {1, 10, 48, 1000}) {
    for (auto [since, until] : {std::pair<int64_t, int64_t>{year1, year9999}, std::pair<int64_t, int64_t>{kT0, kT0 + 10000LL * 24 * kHourUs}}) {
      const int64_t w = series_bucket_seconds(since, until, buckets);
      const int64_t wu = w * 1'000'000;
      EXPECT_EQ(w % (28 * 86400), 0) << w;
      const int64_t first = series_first_us(since, w);
      EXPECT_EQ(first % (28LL * 86400 * 1'000'000), 0);
      EXPECT_LE(first, since);
      EXPECT_LE(floor_div(until - 1 - first, wu) + 1, buckets) << buckets << " " << w;
    }
  }
}

class AnalyticsScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& e : testing::analytics_workload(3000, 11, kT0, 20 * 24 * kHourUs)) rows_.add(e);
    all_ = testing::all_executions(rows_);
  }
  FakeExecutionStore rows_;
  FakeAnalyticsStore cells_{rows_};
  std::vector<Execution> all_;
};

TEST_F(AnalyticsScanTest, SketchedFiguresMatchAScanOnRandomFilters) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 60; ++i) {
    testing::check_filter(cells_, all_, testing::random_filter(rng, kT0, 20 * 24 * kHourUs), /*exact_limit=*/10);
    if (HasFatalFailure()) return;
  }
}

TEST_F(AnalyticsScanTest, SmallRangesAreExact) {
  std::mt19937_64 rng(6);
  for (int i = 0; i < 40; ++i) {
    ExecutionFilter f = testing::random_filter(rng, kT0, 20 * 24 * kHourUs);
    testing::check_filter(cells_, all_, f, /*exact_limit=*/1'000'000);
    if (HasFatalFailure()) return;
  }
  Analytics a(cells_, AnalyticsOptions{1'000'000});
  auto p = a.performance({});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->exact_percentiles);
  Analytics b(cells_, AnalyticsOptions{10});
  p = b.performance({});
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->exact_percentiles);
}

TEST_F(AnalyticsScanTest, AlignedRangesReadNoRows) {
  Analytics a(cells_, AnalyticsOptions{10});
  ExecutionFilter f;
  f.since_us = kT0 + kHourUs;
  f.until_us = kT0 + 10 * 24 * kHourUs + 5 * kFinestUs;
  auto p = a.performance(f);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(cells_.edge_scans, 0);
  // An unaligned end reads only its partial bucket's rows (or none, when the bucket's cell
  // shows all of them inside the range).
  f.until_us = *f.until_us + 7'000'000;
  p = a.performance(f);
  ASSERT_TRUE(p.ok());
  EXPECT_LE(cells_.edge_scans, 1);
  testing::check_filter(cells_, all_, f, 10);
}

// Pending rows (journaled, not yet in the cells) count in every figure, and one Analytics
// fetches each once: later answers read only what was journaled since, and forget what
// rounds took.
TEST_F(AnalyticsScanTest, PendingRowsCountAndAreFetchedOnce) {
  cells_.rolled_up = 1000;  // rows 1000.. are pending
  std::mt19937_64 rng(8);
  for (int i = 0; i < 20; ++i) {
    testing::check_filter(cells_, all_, testing::random_filter(rng, kT0, 20 * 24 * kHourUs), i % 2 ? 10 : 1'000'000);
    if (HasFatalFailure()) return;
  }
  Analytics a(cells_, AnalyticsOptions{10});
  const int before = cells_.journaled_rows_read;
  auto p = a.performance({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->total_executions, 3000u);
  EXPECT_EQ(cells_.journaled_rows_read - before, 2000);
  EXPECT_EQ(a.pending_rows_fetched(), 2000u);
  ASSERT_TRUE(a.performance({}).ok());
  EXPECT_EQ(a.pending_rows_fetched(), 2000u) << "kept: nothing fetched again";
  for (auto& e : testing::analytics_workload(50, 12, kT0, 20 * 24 * kHourUs)) rows_.add(e);
  p = a.performance({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->total_executions, 3050u);
  EXPECT_EQ(a.pending_rows_fetched(), 2050u) << "only the new rows";
  ASSERT_TRUE(cells_.roll_up({}).ok());
  p = a.performance({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->total_executions, 3050u);
  EXPECT_EQ(a.pending_rows_fetched(), 2050u);
}

TEST_F(AnalyticsScanTest, EachAnswerReadsOneSnapshot) {
  // Cells and edge rows of one answer come from one store snapshot, so they agree even
  // while a writer commits between the reads.
  Analytics a(cells_, AnalyticsOptions{10});
  ExecutionFilter f;
  f.since_us = kT0 + 1'234'567;
  f.until_us = kT0 + 3 * 24 * kHourUs + 7'000'000;
  ASSERT_TRUE(a.performance(f).ok());
  EXPECT_EQ(cells_.snapshots, 1);
  EXPECT_GT(cells_.cell_reads, 1);
  DashboardQuery q;
  q.filter = f;
  q.series_agent = "agent-1";
  ASSERT_TRUE(a.dashboard(q).ok());
  EXPECT_EQ(cells_.snapshots, 2);
}

TEST_F(AnalyticsScanTest, EmptyAndInvertedRanges) {
  Analytics a(cells_, AnalyticsOptions{10});
  ExecutionFilter f;
  f.since_us = kT0 - 100 * kHourUs;
  f.until_us = kT0 - 50 * kHourUs;
  auto p = a.performance(f);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->agents.empty());
  f.until_us = f.since_us;
  p = a.performance(f);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->agents.empty());
  FakeExecutionStore none;
  FakeAnalyticsStore empty(none);
  Analytics e(empty);
  p = e.performance({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->total_executions, 0u);
}

TEST_F(AnalyticsScanTest, StoreFailuresAreReturned) {
  rows_.down = true;
  Analytics a(cells_, AnalyticsOptions{10});
  EXPECT_EQ(a.performance({}).status().code(), StatusCode::kUnavailable);
  DashboardQuery q;
  q.filter.since_us = kT0;
  q.filter.until_us = kT0 + kHourUs;
  EXPECT_EQ(a.dashboard(q).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace agentlearn

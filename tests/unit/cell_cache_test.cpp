// The in-process copy of the stored cells (service/cell_cache.hpp) against a snapshot whose
// cells the test sets per epoch: the copy answers what the store would at the reader's epoch,
// and reads from the store only what it does not hold.
#include "service/cell_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <tuple>

namespace agentlearn {
namespace {

using analytics::BucketRef;
using analytics::Scope;

// One cell as a test sets it: the bucket it is in and what it counts.
struct TestCell {
  int level = 0;
  int64_t bucket = 0;
  std::string agent, ttype;
  uint64_t executions = 0;
};

// A store's snapshot at one epoch: its cells (of scope kAgentType), and the buckets read.
class EpochSnapshot final : public AnalyticsSnapshot {
 public:
  EpochSnapshot(int64_t epoch, std::vector<TestCell> cells) : epoch_(epoch), cells_(std::move(cells)) {}

  Status read_cells(Scope scope, std::span<const BucketRef> buckets, const std::optional<std::string>& agent,
                    const std::optional<std::string>& ttype, bool with_sketch,
                    const std::function<void(const CellRow&)>& fn) override {
    for (const BucketRef& b : buckets) {
      ++buckets_read;
      for (const TestCell& c : cells_) {
        if (scope != Scope::kAgentType || c.level != b.level || c.bucket != b.bucket) continue;
        if ((agent && c.agent != *agent) || (ttype && c.ttype != *ttype)) continue;
        analytics::CellTally t;
        t.executions = c.executions;
        fn(CellRow{c.level, c.bucket, c.agent, c.ttype, t, with_sketch ? std::string_view("sk") : std::string_view()});
      }
    }
    return Status::Ok();
  }
  Status scan_edge(int64_t, int64_t, const std::function<void(const EdgeRow&)>&) override { return Status::Ok(); }
  Status scan_journal(const std::function<void(const JournalKey&)>&) override { return Status::Ok(); }
  Status scan_journaled(std::span<const JournalKey>,
                        const std::function<void(const JournalKey&, const EdgeRow&)>&) override {
    return Status::Ok();
  }
  StatusOr<int64_t> rollup_epoch() override { return epoch_; }
  StatusOr<std::optional<std::pair<int64_t, int64_t>>> timestamp_bounds() override {
    return std::optional<std::pair<int64_t, int64_t>>{};
  }
  Status scan_flagged(int64_t, int64_t, const std::optional<std::string>&, const std::optional<std::string>&, size_t,
                      const std::function<void(const StoredRow&)>&) override {
    return Status::Ok();
  }

  int buckets_read = 0;

 private:
  int64_t epoch_;
  std::vector<TestCell> cells_;
};

using Seen = std::multiset<std::tuple<int, int64_t, std::string, std::string, uint64_t, std::string>>;

// What read_cells gives through `cache` (or straight from `snap` without one).
Seen read(EpochSnapshot& snap, CellCache* cache, int64_t epoch, std::vector<BucketRef> buckets,
          std::optional<std::string> agent = std::nullopt, std::optional<std::string> ttype = std::nullopt,
          bool with_sketch = true) {
  Seen out;
  auto fn = [&](const CellRow& c) {
    out.emplace(c.level, c.bucket, std::string(c.agent), std::string(c.ttype), c.tally.executions,
                std::string(c.sketch));
  };
  Status st = cache ? cache->read(snap, epoch, Scope::kAgentType, buckets, agent, ttype, with_sketch, fn)
                    : snap.read_cells(Scope::kAgentType, buckets, agent, ttype, with_sketch, fn);
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

std::vector<TestCell> cells_at(uint64_t n) {
  return {{0, 1, "a", "=x", n}, {0, 1, "b", "=x", 2 * n}, {0, 2, "a", "", 3 * n}, {1, 0, "a", "=x", 4 * n}};
}

const std::vector<BucketRef> kAll = {{0, 1}, {0, 2}, {1, 0}};

TEST(CellCache, ASecondReadAtTheSameEpochReadsNothingFromTheStore) {
  CellCache cache(1 << 20);
  EpochSnapshot first(5, cells_at(1)), second(5, cells_at(1));
  const Seen want = read(first, nullptr, 5, kAll);
  first.buckets_read = 0;
  EXPECT_EQ(read(first, &cache, 5, kAll), want);
  EXPECT_EQ(first.buckets_read, 3);
  EXPECT_EQ(read(second, &cache, 5, kAll), want);
  EXPECT_EQ(second.buckets_read, 0);
  // Sketch-less reads and a bucket named twice come from the same copy, as the store would
  // give them.
  EXPECT_EQ(read(second, &cache, 5, kAll, std::nullopt, std::nullopt, false),
            read(first, nullptr, 5, kAll, std::nullopt, std::nullopt, false));
  EXPECT_EQ(read(second, &cache, 5, {{0, 2}, {0, 2}}), read(first, nullptr, 5, {{0, 2}, {0, 2}}));
  EXPECT_EQ(second.buckets_read, 0);
  // A filtered read is kept apart (the bucket's other cells are not read for it): read once.
  EXPECT_EQ(read(second, &cache, 5, kAll, "a"), read(first, nullptr, 5, kAll, "a"));
  EXPECT_EQ(read(second, &cache, 5, kAll, "b", "=x", false), read(first, nullptr, 5, kAll, "b", "=x", false));
  EXPECT_EQ(second.buckets_read, 6);
  EXPECT_EQ(read(second, &cache, 5, kAll, "a"), read(first, nullptr, 5, kAll, "a"));
  EXPECT_EQ(read(second, &cache, 5, kAll, "b", "=x", false), read(first, nullptr, 5, kAll, "b", "=x", false));
  EXPECT_EQ(second.buckets_read, 6);
  const CellCacheStats s = cache.stats();
  EXPECT_EQ(s.misses, 9u);
  EXPECT_EQ(s.buckets, 9u);
  EXPECT_EQ(s.epoch, 5);
  EXPECT_GT(s.bytes, 0u);
}

TEST(CellCache, AnOlderSnapshotNeverUsesANewerCopy) {
  CellCache cache(1 << 20, std::chrono::milliseconds(0));
  EpochSnapshot at5(5, cells_at(1)), at6(6, cells_at(10));
  read(at5, &cache, 5, kAll);
  EXPECT_EQ(read(at6, &cache, 6, kAll), read(at6, nullptr, 6, kAll));  // moved to 6: re-read
  EXPECT_EQ(at6.buckets_read, 6);
  // A reader still at 5 (its snapshot taken before round 6) reads its own cells from the store.
  at5.buckets_read = 0;
  EXPECT_EQ(read(at5, &cache, 5, kAll), read(at5, nullptr, 5, kAll));
  EXPECT_EQ(at5.buckets_read, 6);
  EXPECT_EQ(cache.stats().epoch, 6);
  at6.buckets_read = 0;
  read(at6, &cache, 6, kAll);
  EXPECT_EQ(at6.buckets_read, 0);  // the older reader kept nothing in the newer copy
}

TEST(CellCache, ARoundOfThisProcessDropsOnlyTheBucketsItChanged) {
  CellCache cache(1 << 20);
  EpochSnapshot at5(5, cells_at(1));
  read(at5, &cache, 5, kAll);
  read(at5, &cache, 5, kAll, "a");
  // Round 6 changed bucket (0, 2) and the level-1 bucket over it.
  std::vector<TestCell> after = cells_at(1);
  after[2].executions = 99;
  after[3].executions = 98;
  RollupRound round;
  round.journal_rows = 1;
  round.epoch = 6;
  round.changed = {{0, 2}, {1, 0}};
  cache.round_committed(round);
  EpochSnapshot at6(6, after);
  EXPECT_EQ(read(at6, &cache, 6, kAll), read(at6, nullptr, 6, kAll));
  EXPECT_EQ(at6.buckets_read, 2 + 3);  // the two changed ones, then the oracle's three
  at6.buckets_read = 0;
  EXPECT_EQ(read(at6, &cache, 6, kAll, "a"), read(at6, nullptr, 6, kAll, "a"));
  EXPECT_EQ(at6.buckets_read, 2 + 3);  // the filtered reads of the changed buckets went too
  EXPECT_EQ(cache.stats().buckets, 6u);
}

TEST(CellCache, AnEpochSkippedByAnotherProcessDropsTheWholeCopy) {
  CellCache cache(1 << 20, std::chrono::milliseconds(0));  // no grace: the round ran elsewhere
  EpochSnapshot at5(5, cells_at(1));
  read(at5, &cache, 5, kAll);
  RollupRound mine;
  mine.journal_rows = 1;
  mine.epoch = 7;  // round 6 ran elsewhere: what it changed is unknown here
  mine.changed = {{0, 2}};
  cache.round_committed(mine);
  EpochSnapshot at7(7, cells_at(7));
  EXPECT_EQ(read(at7, &cache, 7, kAll), read(at7, nullptr, 7, kAll));
  EXPECT_EQ(at7.buckets_read, 3 + 3);
  EXPECT_EQ(cache.stats().resets, 1u);
  EXPECT_EQ(cache.stats().epoch, 7);
}

TEST(CellCache, WithinItsGraceAnEpochNotKnownYetIsReadThroughAndTheCopyKept) {
  CellCache cache(1 << 20, std::chrono::hours(1));
  EpochSnapshot at5(5, cells_at(1));
  read(at5, &cache, 5, kAll);
  // A reader sees round 6 before this process's rollup thread has told the copy of it.
  std::vector<TestCell> after = cells_at(1);
  after[0].executions = 77;
  EpochSnapshot at6(6, after);
  EXPECT_EQ(read(at6, &cache, 6, kAll), read(at6, nullptr, 6, kAll));
  EXPECT_EQ(at6.buckets_read, 3 + 3);  // read through
  EXPECT_EQ(cache.stats().epoch, 5);
  EXPECT_EQ(cache.stats().buckets, 3u);
  at5.buckets_read = 0;
  read(at5, &cache, 5, kAll);  // still serves epoch 5
  EXPECT_EQ(at5.buckets_read, 0);
  RollupRound round;
  round.journal_rows = 1;
  round.epoch = 6;
  round.changed = {{0, 1}};
  cache.round_committed(round);
  at6.buckets_read = 0;
  EXPECT_EQ(read(at6, &cache, 6, kAll), read(at6, nullptr, 6, kAll));
  EXPECT_EQ(at6.buckets_read, 1 + 3);  // the changed bucket only, then the oracle's
  EXPECT_EQ(cache.stats().resets, 0u);
}

TEST(CellCache, ARoundAlreadySeenIsIgnored) {
  CellCache cache(1 << 20);
  EpochSnapshot at6(6, cells_at(6));
  read(at6, &cache, 6, kAll);  // a reader saw round 6 before its note came
  RollupRound late;
  late.journal_rows = 1;
  late.epoch = 6;
  late.changed = {};
  cache.round_committed(late);
  at6.buckets_read = 0;
  read(at6, &cache, 6, kAll);
  EXPECT_EQ(at6.buckets_read, 0);
}

TEST(CellCache, UnderItsCapItEvictsAndStaysExact) {
  // 200 buckets of 20 cells each, the cap a fraction of them.
  std::vector<TestCell> cells;
  std::vector<BucketRef> buckets;
  for (int64_t b = 0; b < 200; ++b) {
    buckets.push_back({0, b});
    for (int a = 0; a < 20; ++a) cells.push_back({0, b, "agent-" + std::to_string(a), "=t", static_cast<uint64_t>(b * a)});
  }
  constexpr size_t kCap = 64 << 10;
  CellCache cache(kCap);
  EpochSnapshot snap(1, cells);
  const Seen want = read(snap, nullptr, 1, buckets);
  for (int pass = 0; pass < 3; ++pass) {
    EXPECT_EQ(read(snap, &cache, 1, buckets), want);
    EXPECT_EQ(read(snap, &cache, 1, {{0, 7}}, "agent-3"), read(snap, nullptr, 1, {{0, 7}}, "agent-3"));
    EXPECT_LE(cache.stats().bytes, kCap);
  }
  const CellCacheStats s = cache.stats();
  EXPECT_GT(s.evictions, 0u);
  EXPECT_GT(s.buckets, 0u);
  EXPECT_LT(s.buckets, 200u);
  // The most recently used read stays.
  snap.buckets_read = 0;
  read(snap, &cache, 1, {{0, 7}}, "agent-3");
  EXPECT_EQ(snap.buckets_read, 0);
}

TEST(CellCache, OffReadsEverythingFromTheStore) {
  CellCache cache(0);
  EpochSnapshot snap(3, cells_at(3));
  const Seen want = read(snap, nullptr, 3, kAll);
  snap.buckets_read = 0;
  EXPECT_EQ(read(snap, &cache, 3, kAll), want);
  EXPECT_EQ(read(snap, &cache, 3, kAll), want);
  EXPECT_EQ(snap.buckets_read, 6);
  EXPECT_EQ(cache.stats().buckets, 0u);
}

}  // namespace
}  // namespace agentlearn

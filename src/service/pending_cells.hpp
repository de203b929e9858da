#pragma once
// Real-time aggregation (docs/analytics.md): the executions the journal still names, those
// stored but not yet added to the cells by a rollup round, folded in memory into cells of
// their own and read beside the stored ones. Both come from one snapshot, so every execution
// of it is counted exactly once: a round moves rows from the journal to the cells in one
// transaction.
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "service/forwarding_snapshot.hpp"
#include "service/pending_rows.hpp"
#include "store/analytics_store.hpp"

namespace agentlearn {

// A snapshot whose cells include the pending executions' cells; every other read is the
// underlying snapshot's (its edge rows already hold the pending rows in their range).
class SnapshotWithPending final : public ForwardingSnapshot {
 public:
  // `pending`: where the pending rows are kept between answers.
  SnapshotWithPending(AnalyticsSnapshot& base, PendingRows& pending) : ForwardingSnapshot(base), rows_(pending) {}

  // Takes the pending executions with from_us <= timestamp_us < to_us (those outside cannot
  // fall in a cell an answer over that span reads).
  Status load_pending(int64_t from_us, int64_t to_us);

  Status read_cells(analytics::Scope scope, std::span<const analytics::BucketRef> buckets,
                    const std::optional<std::string>& agent, const std::optional<std::string>& ttype,
                    bool with_sketch, const std::function<void(const CellRow&)>& fn) override;

 private:
  using Cell = std::pair<const analytics::CellKey, analytics::CellDelta>;
  PendingRows& rows_;
  analytics::CellDeltas pending_;
  // The pending cells by (level, bucket, scope), as read_cells() looks them up.
  std::map<std::tuple<int, int64_t, int>, std::vector<const Cell*>> by_bucket_;
};

}  // namespace agentlearn

#pragma once
// An analytics snapshot that passes every read to another: the base of the decorators that
// change one read (the pending rows' cells, the in-process copy of the stored cells) and leave
// the rest to the snapshot under them.
#include "store/analytics_store.hpp"

namespace agentlearn {

class ForwardingSnapshot : public AnalyticsSnapshot {
 public:
  explicit ForwardingSnapshot(AnalyticsSnapshot& base) : base_(base) {}

  Status read_cells(analytics::Scope scope, std::span<const analytics::BucketRef> buckets,
                    const std::optional<std::string>& agent, const std::optional<std::string>& ttype,
                    bool with_sketch, const std::function<void(const CellRow&)>& fn) override {
    return base_.read_cells(scope, buckets, agent, ttype, with_sketch, fn);
  }
  Status scan_edge(int64_t since_us, int64_t until_us, const std::function<void(const EdgeRow&)>& fn) override {
    return base_.scan_edge(since_us, until_us, fn);
  }
  Status scan_journal(const std::function<void(const JournalKey&)>& fn) override { return base_.scan_journal(fn); }
  Status scan_journaled(std::span<const JournalKey> rows,
                        const std::function<void(const JournalKey&, const EdgeRow&)>& fn) override {
    return base_.scan_journaled(rows, fn);
  }
  StatusOr<int64_t> rollup_epoch() override { return base_.rollup_epoch(); }
  StatusOr<std::optional<std::pair<int64_t, int64_t>>> timestamp_bounds() override {
    return base_.timestamp_bounds();
  }
  Status scan_flagged(int64_t since_us, int64_t until_us, const std::optional<std::string>& agent,
                      const std::optional<std::string>& task_type, size_t limit,
                      const std::function<void(const StoredRow&)>& fn) override {
    return base_.scan_flagged(since_us, until_us, agent, task_type, limit, fn);
  }

 protected:
  AnalyticsSnapshot& base_;
};

}  // namespace agentlearn

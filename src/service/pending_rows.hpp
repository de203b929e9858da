#pragma once
// The executions the analytics journal names, kept in memory by journal row (docs/analytics.md,
// "Pending rows in an answer"). A journal row never changes while it exists (a round deletes
// it whole), and its key always names the same executions, so its rows, once read, serve every
// later answer whose snapshot still sees that row: an answer fetches only the rows journaled
// since the last answer. Rows that rounds have taken are forgotten at the next answer that no
// longer sees them. Thread-safe.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/analytics_store.hpp"

namespace agentlearn {

class PendingRows {
 public:
  // Past `max_rows` kept, further journal rows are read for the answer and not kept.
  explicit PendingRows(size_t max_rows = 1'000'000) : max_rows_(max_rows) {}

  // Every pending execution `snap` sees, to `fn`; reads from the store only the journal rows
  // not kept yet.
  Status read(AnalyticsSnapshot& snap, const std::function<void(const EdgeRow&)>& fn);

  // Executions read from the store since this object was made (what answers fetched).
  uint64_t rows_fetched() const { return fetched_.load(std::memory_order_relaxed); }
  size_t rows_kept() const;

 private:
  using Rows = std::vector<OwnedEdgeRow>;

  size_t max_rows_;
  std::atomic<uint64_t> fetched_{0};
  mutable std::mutex mu_;
  std::map<JournalKey, std::shared_ptr<const Rows>> kept_;
  size_t kept_rows_ = 0;
};

}  // namespace agentlearn

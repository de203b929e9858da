#pragma once
// Fills the analytics cells from the stored executions (migration 6), the same way on every
// backend: one widest bucket at a time, so that every level's buckets nest inside the window,
// its cells are complete when its rows are read, and memory holds one window's cells; and only
// windows that hold runs are visited, so a store whose runs are years apart costs what its
// runs cost, not one query per empty bucket. The backend supplies three statements.
#include <cstdint>
#include <functional>
#include <optional>

#include "core/status.hpp"
#include "store/analytics_cells.hpp"
#include "store/analytics_store.hpp"

namespace agentlearn {

struct BackfillSource {
  // The timestamp of the first run at or after `t` that the cells count (out_of_range runs do
  // not), or nullopt when there is none.
  std::function<StatusOr<std::optional<int64_t>>(int64_t t)> first_at_or_after;
  // Every run the cells count with from <= timestamp_us < to, read as store_codec's edge row
  // (kEdgeColumns, decode_edge_row).
  std::function<Status(int64_t from, int64_t to, const std::function<void(const EdgeRow&)>& row)> scan;
  // Adds a window's cells to the table, in the migration's transaction.
  std::function<Status(const analytics::CellDeltas& deltas)> write;
};

Status backfill_cells(const BackfillSource& source);

}  // namespace agentlearn

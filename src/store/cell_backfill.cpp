#include "store/cell_backfill.hpp"

#include <limits>
#include <string>

namespace agentlearn {

Status backfill_cells(const BackfillSource& source) {
  const int64_t width = analytics::level_width_us(analytics::kLevels - 1);
  analytics::CellDeltas deltas;
  std::optional<std::string> type;
  auto at = source.first_at_or_after(std::numeric_limits<int64_t>::min());
  for (; at.ok() && at->has_value(); at = source.first_at_or_after(analytics::bucket_span_us(**at, width).to)) {
    const auto window = analytics::bucket_span_us(**at, width);
    Status st = source.scan(window.from, window.to, [&](const EdgeRow& r) {
      if (r.task_type) {
        type.emplace(*r.task_type);
      } else {
        type.reset();
      }
      deltas.add(r.agent_id, type, r.execution_time, r.success, r.cost_usd, r.timestamp_us, r.anomaly);
    });
    if (!st.ok()) return st;
    if (st = source.write(deltas); !st.ok()) return st;
    deltas.clear();
    if (window.to == std::numeric_limits<int64_t>::max()) break;  // nothing can come after it
  }
  return at.ok() ? Status::Ok() : at.status();
}

}  // namespace agentlearn

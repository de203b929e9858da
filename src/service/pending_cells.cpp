#include "service/pending_cells.hpp"

#include <string>

namespace agentlearn {

Status SnapshotWithPending::load_pending(int64_t from_us, int64_t to_us) {
  pending_.clear();
  by_bucket_.clear();
  Status st = rows_.read(base_, [&](const EdgeRow& r) {
    if (r.timestamp_us >= from_us && r.timestamp_us < to_us) add_run(pending_, r);
  });
  if (!st.ok()) return st;
  for (const auto& cell : pending_.cells()) {
    const analytics::CellKey& k = cell.first;
    by_bucket_[{k.level, k.bucket, static_cast<int>(k.scope)}].push_back(&cell);
  }
  return Status::Ok();
}

Status SnapshotWithPending::read_cells(analytics::Scope scope, std::span<const analytics::BucketRef> buckets,
                                       const std::optional<std::string>& agent,
                                       const std::optional<std::string>& ttype, bool with_sketch,
                                       const std::function<void(const CellRow&)>& fn) {
  if (Status st = base_.read_cells(scope, buckets, agent, ttype, with_sketch, fn); !st.ok()) return st;
  if (by_bucket_.empty()) return Status::Ok();
  std::string sketch;
  for (const analytics::BucketRef& b : buckets) {
    auto it = by_bucket_.find({b.level, b.bucket, static_cast<int>(scope)});
    if (it == by_bucket_.end()) continue;
    for (const Cell* c : it->second) {
      const analytics::CellKey& k = c->first;
      if ((agent && k.agent != *agent) || (ttype && k.ttype != *ttype)) continue;
      if (with_sketch) sketch = c->second.sketch.encode();
      fn(CellRow{k.level, k.bucket, k.agent, k.ttype, c->second.tally, with_sketch ? sketch : std::string_view()});
    }
  }
  return Status::Ok();
}

}  // namespace agentlearn

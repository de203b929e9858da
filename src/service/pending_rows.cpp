#include "service/pending_rows.hpp"

#include <set>
#include <utility>

namespace agentlearn {

size_t PendingRows::rows_kept() const {
  std::lock_guard lock(mu_);
  return kept_rows_;
}

Status PendingRows::read(AnalyticsSnapshot& snap, const std::function<void(const EdgeRow&)>& fn) {
  std::vector<JournalKey> seen;
  if (Status st = snap.scan_journal([&](const JournalKey& k) { seen.push_back(k); }); !st.ok()) return st;
  std::set<JournalKey> visible(seen.begin(), seen.end());
  // What is kept already (shared: a concurrent answer may drop it meanwhile), what is not.
  std::vector<std::shared_ptr<const Rows>> have;
  std::vector<JournalKey> missing;
  {
    std::lock_guard lock(mu_);
    // Rows no snapshot from now on can see: taken by a round since (a snapshot older than
    // this one that still sees them reads them again; that costs, and is still exact).
    for (auto it = kept_.begin(); it != kept_.end();) {
      if (visible.count(it->first) == 0) {
        kept_rows_ -= it->second->size();
        it = kept_.erase(it);
      } else {
        ++it;
      }
    }
    for (const JournalKey& k : visible) {
      auto it = kept_.find(k);
      if (it != kept_.end()) {
        have.push_back(it->second);
      } else {
        missing.push_back(k);
      }
    }
  }
  for (const auto& rows : have) {
    for (const OwnedEdgeRow& r : *rows) fn(r.view());
  }
  if (missing.empty()) return Status::Ok();
  std::map<JournalKey, Rows> fresh;
  for (const JournalKey& k : missing) fresh[k];  // a row whose executions are all out of range keeps none
  uint64_t fetched = 0;
  Status st = snap.scan_journaled(missing, [&](const JournalKey& k, const EdgeRow& e) {
    ++fetched;
    fn(e);
    fresh[k].push_back(OwnedEdgeRow::of(e));
  });
  fetched_.fetch_add(fetched, std::memory_order_relaxed);
  if (!st.ok()) return st;
  std::lock_guard lock(mu_);
  for (auto& [k, rows] : fresh) {
    if (kept_rows_ + rows.size() > max_rows_ || kept_.count(k) > 0) continue;
    kept_rows_ += rows.size();
    kept_.emplace(k, std::make_shared<const Rows>(std::move(rows)));
  }
  return Status::Ok();
}

}  // namespace agentlearn

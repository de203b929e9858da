#include "service/cell_cache.hpp"

#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>

namespace agentlearn {

using analytics::BucketRef;

namespace {

// What a map node, a list node and a control block cost beside the cells (about).
constexpr size_t kSlotOverhead = 160;

// One more than the rounds a version can be carried across; past it, the copy starts over.
constexpr size_t kRoundsKept = 1024;

}  // namespace

size_t CellCache::KeyHash::operator()(const Key& k) const noexcept {
  size_t h = std::hash<int64_t>()(k.bucket);
  h ^= std::hash<int>()(k.level * 8 + k.scope) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

Status CellCache::read(AnalyticsSnapshot& snap, int64_t epoch, analytics::Scope scope,
                       std::span<const BucketRef> buckets, const std::optional<std::string>& agent,
                       const std::optional<std::string>& ttype, bool with_sketch,
                       const std::function<void(const CellRow&)>& fn) {
  if (buckets.empty()) return Status::Ok();
  const int sc = static_cast<int>(scope);
  std::vector<std::shared_ptr<const Bucket>> have(buckets.size());
  std::vector<size_t> missing;  // indexes into `buckets`
  bool use_copy = false;
  {
    std::lock_guard lock(mu_);
    if (max_bytes_ > 0 && epoch > epoch_) advance(epoch);
    use_copy = max_bytes_ > 0 && epoch == epoch_;
    if (!use_copy) {
      counts_.misses += buckets.size();
    } else {
      for (size_t i = 0; i < buckets.size(); ++i) {
        auto it = slots_.find(Key{sc, buckets[i].level, buckets[i].bucket});
        if (it == slots_.end()) {
          missing.push_back(i);
          continue;
        }
        have[i] = it->second.cells;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        ++counts_.hits;
      }
      counts_.misses += missing.size();
    }
  }
  // An older snapshot (or the copy off): straight to the store, keeping nothing.
  if (!use_copy) return snap.read_cells(scope, buckets, agent, ttype, with_sketch, fn);

  if (!missing.empty()) {
    // The missed buckets whole (every agent and type, with sketches), once each, so that
    // they serve any later filter at this epoch.
    std::vector<BucketRef> unique;
    std::map<std::pair<int, int64_t>, size_t> slot_of;
    for (size_t i : missing) {
      auto [it, added] = slot_of.try_emplace({buckets[i].level, buckets[i].bucket}, unique.size());
      if (added) unique.push_back(buckets[i]);
    }
    std::vector<Bucket> fresh(unique.size());
    Status st = snap.read_cells(scope, unique, std::nullopt, std::nullopt, /*with_sketch=*/true,
                                [&](const CellRow& c) {
                                  auto it = slot_of.find({c.level, c.bucket});
                                  if (it == slot_of.end()) return;
                                  fresh[it->second].push_back(
                                      Cell{std::string(c.agent), std::string(c.ttype), c.tally, std::string(c.sketch)});
                                });
    if (!st.ok()) return st;
    std::vector<std::shared_ptr<const Bucket>> made(unique.size());
    std::vector<size_t> sizes(unique.size());
    for (size_t k = 0; k < unique.size(); ++k) {
      size_t bytes = kSlotOverhead + sizeof(Bucket) + fresh[k].capacity() * sizeof(Cell);
      for (const Cell& c : fresh[k]) bytes += c.agent.capacity() + c.ttype.capacity() + c.sketch.capacity();
      sizes[k] = bytes;
      made[k] = std::make_shared<const Bucket>(std::move(fresh[k]));
    }
    for (size_t i : missing) have[i] = made[slot_of.at({buckets[i].level, buckets[i].bucket})];
    std::lock_guard lock(mu_);
    if (epoch == epoch_) {  // still this version: keep them
      for (size_t k = 0; k < unique.size(); ++k) insert(Key{sc, unique[k].level, unique[k].bucket}, made[k], sizes[k]);
    }
  }

  for (size_t i = 0; i < buckets.size(); ++i) {
    for (const Cell& c : *have[i]) {
      if ((agent && c.agent != *agent) || (ttype && c.ttype != *ttype)) continue;
      fn(CellRow{buckets[i].level, buckets[i].bucket, c.agent, c.ttype, c.tally,
                 with_sketch ? std::string_view(c.sketch) : std::string_view()});
    }
  }
  return Status::Ok();
}

void CellCache::round_committed(const RollupRound& round) {
  if (round.epoch <= 0 || max_bytes_ == 0) return;
  std::lock_guard lock(mu_);
  if (round.epoch <= epoch_) return;  // the version already saw it, read from the store
  rounds_[round.epoch] = round.changed;
  while (rounds_.size() > kRoundsKept) rounds_.erase(rounds_.begin());
}

void CellCache::advance(int64_t epoch) {
  // Carried across only when every round in between is known: each one bumps the epoch by one.
  bool carry = epoch_ >= 0 && static_cast<uint64_t>(epoch - epoch_) <= rounds_.size();
  for (int64_t e = epoch_ + 1; carry && e <= epoch; ++e) carry = rounds_.count(e) > 0;
  if (carry) {
    for (int64_t e = epoch_ + 1; e <= epoch; ++e) {
      for (const BucketRef& b : rounds_[e]) {
        for (int sc = 0; sc < 4; ++sc) erase(Key{sc, b.level, b.bucket});
      }
    }
  } else {
    clear();
  }
  epoch_ = epoch;
  rounds_.erase(rounds_.begin(), rounds_.upper_bound(epoch));
}

void CellCache::erase(const Key& k) {
  auto it = slots_.find(k);
  if (it == slots_.end()) return;
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  slots_.erase(it);
}

void CellCache::clear() {
  slots_.clear();
  lru_.clear();
  bytes_ = 0;
}

void CellCache::insert(const Key& k, std::shared_ptr<const Bucket> cells, size_t bytes) {
  if (slots_.count(k) > 0) return;  // another reader of this version read it meanwhile
  lru_.push_front(k);
  slots_.emplace(k, Slot{std::move(cells), bytes, lru_.begin()});
  bytes_ += bytes;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    const Key victim = lru_.back();
    erase(victim);
    ++counts_.evictions;
  }
}

CellCacheStats CellCache::stats() const {
  std::lock_guard lock(mu_);
  CellCacheStats s = counts_;
  s.bytes = bytes_;
  s.buckets = slots_.size();
  s.epoch = epoch_;
  return s;
}

}  // namespace agentlearn

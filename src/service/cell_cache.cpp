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

size_t CellCache::BucketHash::operator()(const BucketId& b) const noexcept {
  return std::hash<int64_t>()(b.bucket) * 8 + static_cast<size_t>(b.level);
}

size_t CellCache::KeyHash::operator()(const Key& k) const noexcept {
  size_t h = BucketHash()(k.at) * 4 + static_cast<size_t>(k.scope);
  auto mix = [&h](const std::optional<std::string>& s) {
    const size_t v = s ? std::hash<std::string>()(*s) : 0x51ed27;
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  };
  mix(k.agent);
  mix(k.ttype);
  return h;
}

Status CellCache::read(AnalyticsSnapshot& snap, int64_t epoch, analytics::Scope scope,
                       std::span<const BucketRef> buckets, const std::optional<std::string>& agent,
                       const std::optional<std::string>& ttype, bool with_sketch,
                       const std::function<void(const CellRow&)>& fn) {
  if (buckets.empty()) return Status::Ok();
  const int sc = static_cast<int>(scope);
  auto key_of = [&](const BucketRef& b) { return Key{sc, BucketId{b.level, b.bucket}, agent, ttype}; };
  std::vector<std::shared_ptr<const Bucket>> have(buckets.size());
  std::vector<size_t> missing;  // indexes into `buckets`
  Dropped dropped;  // destroyed after the lock
  bool use_copy = false;
  {
    std::lock_guard lock(mu_);
    if (max_bytes_ > 0 && epoch > epoch_) advance(epoch, dropped);
    use_copy = max_bytes_ > 0 && epoch == epoch_;
    if (!use_copy) {
      counts_.misses += buckets.size();
    } else {
      for (size_t i = 0; i < buckets.size(); ++i) {
        auto it = slots_.find(key_of(buckets[i]));
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
    // The missed buckets, once each, with their sketches (so that they serve reads with and
    // without), under this read's filters (a filtered read is kept apart from the bucket's
    // other cells: reading those too would cost a miss many times what it saves).
    std::vector<BucketRef> unique;
    std::map<std::pair<int, int64_t>, size_t> slot_of;
    for (size_t i : missing) {
      auto [it, added] = slot_of.try_emplace({buckets[i].level, buckets[i].bucket}, unique.size());
      if (added) unique.push_back(buckets[i]);
    }
    std::vector<Bucket> fresh(unique.size());
    Status st = snap.read_cells(scope, unique, agent, ttype, /*with_sketch=*/true, [&](const CellRow& c) {
      auto it = slot_of.find({c.level, c.bucket});
      if (it == slot_of.end()) return;
      fresh[it->second].push_back(Cell{std::string(c.agent), std::string(c.ttype), c.tally, std::string(c.sketch)});
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
      for (size_t k = 0; k < unique.size(); ++k) insert(key_of(unique[k]), made[k], sizes[k]);
    }
  }

  for (size_t i = 0; i < buckets.size(); ++i) {
    for (const Cell& c : *have[i]) {
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

bool CellCache::advance(int64_t epoch, Dropped& dropped) {
  // Carried across only when every round in between is known: each one bumps the epoch by one.
  bool carry = epoch_ >= 0 && static_cast<uint64_t>(epoch - epoch_) <= rounds_.size();
  for (int64_t e = epoch_ + 1; carry && e <= epoch; ++e) carry = rounds_.count(e) > 0;
  if (carry) {
    for (int64_t e = epoch_ + 1; e <= epoch; ++e) {
      for (const BucketRef& b : rounds_[e]) {
        auto it = by_bucket_.find(BucketId{b.level, b.bucket});
        if (it == by_bucket_.end()) continue;
        const std::vector<Key> keys = it->second;
        for (const Key& k : keys) erase(k);
      }
    }
  } else {
    const auto now = std::chrono::steady_clock::now();
    if (!unknown_since_) unknown_since_ = now;
    if (epoch_ >= 0 && now - *unknown_since_ < grace_) return false;
    dropped.slots.swap(slots_);
    dropped.lru.swap(lru_);
    dropped.by_bucket.swap(by_bucket_);
    bytes_ = 0;
    if (epoch_ >= 0) ++counts_.resets;
  }
  unknown_since_.reset();
  epoch_ = epoch;
  rounds_.erase(rounds_.begin(), rounds_.upper_bound(epoch));
  return true;
}

void CellCache::erase(const Key& k) {
  auto it = slots_.find(k);
  if (it == slots_.end()) return;
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  slots_.erase(it);
  auto b = by_bucket_.find(k.at);
  if (b == by_bucket_.end()) return;
  auto& keys = b->second;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == k) {
      keys[i] = std::move(keys.back());
      keys.pop_back();
      break;
    }
  }
  if (keys.empty()) by_bucket_.erase(b);
}

void CellCache::insert(const Key& k, std::shared_ptr<const Bucket> cells, size_t bytes) {
  if (slots_.count(k) > 0) return;  // another reader of this version read it meanwhile
  lru_.push_front(k);
  slots_.emplace(k, Slot{std::move(cells), bytes, lru_.begin()});
  by_bucket_[k.at].push_back(k);
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

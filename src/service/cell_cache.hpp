#pragma once
// An in-process copy of the stored analytics cells, coherent with the store by the rollup
// epoch (docs/analytics.md, "The cells copy"): a page cache of the cells table, not a cache of
// answers - every request still computes its own answer for its own filters.
//
// The stored cells change only in rollup rounds, and every round bumps the epoch in its own
// transaction, so two snapshots at one epoch see the same cells. The copy holds one version,
// at one epoch: the cells one read of a bucket returned (one scope, level and bucket, and the
// read's agent and type filters), read from a snapshot at that epoch and never changed after. A reader whose snapshot is at the
// copy's epoch uses it and adds the buckets it missed; a reader at an older epoch reads through
// to the store and keeps nothing (a reader at epoch 5 must never use a copy of epoch 6: it
// would count round 6 twice); a reader at a newer epoch moves the copy to its epoch first.
// Moving keeps the buckets that the rounds in between did not change when this process ran
// those rounds itself (round_committed) and knows what they changed. A reader that sees an
// epoch not known yet reads through and leaves the copy as it is, for up to `grace` after the
// first such reader (the note of this process's round may still be on its way: the round's
// thread tells it after its commit); past that, the round ran elsewhere (another replica,
// `agentlearn rollup`) and the copy starts over at the reader's epoch. Past `max_bytes` the
// least recently used reads are evicted. Thread-safe.
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "service/forwarding_snapshot.hpp"
#include "store/analytics_cells.hpp"
#include "store/analytics_store.hpp"

namespace agentlearn {

struct CellCacheStats {
  uint64_t hits = 0;       // buckets answered from the copy
  uint64_t misses = 0;     // buckets read from the store
  uint64_t evictions = 0;  // buckets dropped for the memory cap
  uint64_t resets = 0;     // times the copy started over (a round it did not know of)
  uint64_t bytes = 0;      // held now (about)
  uint64_t buckets = 0;    // held now
  int64_t epoch = -1;      // of the version held; -1 before the first
};

class CellCache {
 public:
  // `max_bytes` 0 turns the copy off: every read goes to the store.
  explicit CellCache(size_t max_bytes, std::chrono::milliseconds grace = std::chrono::milliseconds(250))
      : max_bytes_(max_bytes), grace_(grace) {}

  // The cells of `scope` in `buckets` that `snap`, a snapshot at rollup epoch `epoch`, holds,
  // as AnalyticsSnapshot::read_cells gives them.
  Status read(AnalyticsSnapshot& snap, int64_t epoch, analytics::Scope scope,
              std::span<const analytics::BucketRef> buckets, const std::optional<std::string>& agent,
              const std::optional<std::string>& ttype, bool with_sketch,
              const std::function<void(const CellRow&)>& fn);

  // A round this process committed (its epoch and the buckets it changed).
  void round_committed(const RollupRound& round);

  CellCacheStats stats() const;

 private:
  struct Cell {
    std::string agent, ttype;
    analytics::CellTally tally;
    std::string sketch;
  };
  using Bucket = std::vector<Cell>;
  // A bucket of cells: what a round changes.
  struct BucketId {
    int level = 0;
    int64_t bucket = 0;
    bool operator==(const BucketId&) const = default;
  };
  struct BucketHash {
    size_t operator()(const BucketId& b) const noexcept;
  };
  // One read of a bucket: what the copy keeps.
  struct Key {
    int scope = 0;
    BucketId at;
    std::optional<std::string> agent, ttype;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept;
  };
  struct Slot {
    std::shared_ptr<const Bucket> cells;
    size_t bytes = 0;
    std::list<Key>::iterator lru;
  };

  // What a reset took out, freed after the lock (a full copy is a lot to free).
  struct Dropped {
    std::unordered_map<Key, Slot, KeyHash> slots;
    std::list<Key> lru;
    std::unordered_map<BucketId, std::vector<Key>, BucketHash> by_bucket;
  };
  // Moves the version to `epoch` (> epoch_) when the rounds in between are known, or when
  // the grace has passed (then it starts over, its contents moved to `dropped`). False: the
  // reader reads through.
  bool advance(int64_t epoch, Dropped& dropped);
  void erase(const Key& k);
  void insert(const Key& k, std::shared_ptr<const Bucket> cells, size_t bytes);

  const size_t max_bytes_;
  const std::chrono::milliseconds grace_;
  mutable std::mutex mu_;
  int64_t epoch_ = -1;
  // When a reader first saw an epoch past the version whose rounds are not all known.
  std::optional<std::chrono::steady_clock::time_point> unknown_since_;
  std::unordered_map<Key, Slot, KeyHash> slots_;
  std::list<Key> lru_;  // most recently used first
  // The keys held of each bucket, for dropping what a round changed.
  std::unordered_map<BucketId, std::vector<Key>, BucketHash> by_bucket_;
  size_t bytes_ = 0;
  // What rounds this process committed past the version changed, by the epoch they set.
  std::map<int64_t, std::vector<analytics::BucketRef>> rounds_;
  CellCacheStats counts_;
};

// A snapshot whose stored cells come through a CellCache.
class SnapshotWithCachedCells final : public ForwardingSnapshot {
 public:
  SnapshotWithCachedCells(AnalyticsSnapshot& base, CellCache& cache, int64_t epoch)
      : ForwardingSnapshot(base), cache_(cache), epoch_(epoch) {}

  Status read_cells(analytics::Scope scope, std::span<const analytics::BucketRef> buckets,
                    const std::optional<std::string>& agent, const std::optional<std::string>& ttype,
                    bool with_sketch, const std::function<void(const CellRow&)>& fn) override {
    return cache_.read(base_, epoch_, scope, buckets, agent, ttype, with_sketch, fn);
  }

 private:
  CellCache& cache_;
  int64_t epoch_;
};

}  // namespace agentlearn

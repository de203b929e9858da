#pragma once
// The base of a backend's aggregate objects (sqlite/, postgres/): each works through the
// backend's one connection pool, borrowed from the Store that owns both and destroys its
// aggregates before the pool (Store::release_parts).

namespace agentlearn {

template <class Pool>
class OverPool {
 public:
  // Public, so that an aggregate's inherited constructor (using OverPool::OverPool) is.
  explicit OverPool(Pool& pool) : pool_(pool) {}

 protected:
  Pool& pool_;
};

}  // namespace agentlearn

#pragma once
// Which model set serves, and its history. The active set is an immutable ModelSet behind a
// shared_ptr that is swapped in one step: a request takes its own reference at the start, so
// it finishes on the set it began with even if a new one is activated meanwhile, and no
// request ever sees a half-loaded set.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "metrics/registry.hpp"
#include "ml/model_set.hpp"
#include "ml/policies/policy.hpp"
#include "store/model_store.hpp"

namespace agentlearn {

struct ActiveModels {
  std::shared_ptr<const ml::ModelSet> set;
  // The routing policy the set serves (ml/policies/), made once when the set is loaded; it
  // reads the set, which this struct keeps alive.
  std::shared_ptr<const ml::RoutingPolicy> policy;
  std::string version;       // v<semver>_<UTC time>
  std::string summary_json;  // as stored: metrics, samples, parameters
  int64_t activated_us = 0;
};

class ModelRegistry {
 public:
  ModelRegistry(ModelStore& store, metrics::Registry& registry);

  // The set serving now; null until one is active. Cheap; call once per request.
  std::shared_ptr<const ActiveModels> active() const;

  // Loads the set the store's activation history names last, if it is not the one serving
  // (at start, and when another replica activated one). Returns whether it changed.
  StatusOr<bool> sync_from_store();

  // Makes a stored set active: loads and checks its blob, appends to the activation history,
  // then swaps. kNotFound for an unknown version; kConflict for a rejected set.
  Status activate(std::string_view version, std::string_view reason);

  // Publishes a set just trained (its blob already saved) without reading it back.
  Status activate_trained(std::shared_ptr<const ml::ModelSet> set, const ModelSetRecord& record,
                          std::string_view reason);

 private:
  // Swaps `next` in and sets its gauges. `previous_summary`: the summary of the set served
  // before it, when that is not the one serving now (after a restart).
  void publish(std::shared_ptr<const ActiveModels> next, std::optional<std::string> previous_summary = std::nullopt);
  StatusOr<std::shared_ptr<const ActiveModels>> load(const ModelSetRecord& record);

  ModelStore& store_;
  metrics::Registry& registry_;
  mutable std::mutex mu_;  // guards active_ (held only to copy or swap the pointer)
  std::shared_ptr<const ActiveModels> active_;
  std::mutex activate_mu_;  // one activation at a time (history order = swap order)
};

}  // namespace agentlearn

#pragma once
// The trained model sets and the history of which one was active when, stored with the data
// so that a restart or another replica loads the same set.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace agentlearn {

// A trained model set as stored. Immutable once saved.
struct ModelSetRecord {
  std::string version;        // "v<semver>_<UTC time>", unique
  int64_t created_us = 0;     // when training finished
  bool rejected = false;      // failed the promotion rule; kept for inspection
  std::string reason;         // why it was rejected (empty when not)
  std::string summary_json;   // a JSON object: per-model metrics, samples, seconds, parameters
  std::string blob;           // ml::ModelSet::serialize(); empty in listings
};

// One entry of the history of which model set was active when (appended, never changed).
struct ModelActivation {
  int64_t id = 0;             // assigned by the store; increasing
  std::string version;
  int64_t activated_us = 0;
  std::string reason;         // e.g. "promoted", "rollback", "first model set"
};

class ModelStore {
 public:
  virtual ~ModelStore() = default;
  // Saves a new set; a version that exists already is kConflict.
  virtual Status save_model_set(const ModelSetRecord& record) = 0;
  // Every saved set, newest first, without blobs.
  virtual StatusOr<std::vector<ModelSetRecord>> list_model_sets() = 0;
  // One set with its blob; empty when the version is unknown.
  virtual StatusOr<std::optional<ModelSetRecord>> load_model_set(std::string_view version) = 0;
  // Appends to the activation history (the last entry names the active set).
  virtual Status record_activation(const ModelActivation& activation) = 0;
  // The whole activation history, oldest first.
  virtual StatusOr<std::vector<ModelActivation>> activations() = 0;
};

}  // namespace agentlearn

#pragma once
// In-memory fakes of the narrow store interfaces, for unit tests of the services beside them
// (integration tests use the real SQLite and PostgreSQL stores). Each keeps what it was given,
// and can be told to fail the next calls, as a store that went down would.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/execution_store.hpp"
#include "store/model_store.hpp"
#include "store/recommendation_log_store.hpp"
#include "store/setting_store.hpp"

namespace agentlearn::testing {

inline Status store_down() { return Status::Unavailable("the store is down (fake)"); }

class FakeSettingStore : public SettingStore {
 public:
  Status put_setting(std::string_view key, std::string_view value) override {
    ++puts;
    if (down) return store_down();
    values[std::string(key)] = std::string(value);
    return Status::Ok();
  }
  StatusOr<std::optional<std::string>> get_setting(std::string_view key) override {
    if (down) return store_down();
    auto it = values.find(std::string(key));
    return it == values.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }
  std::map<std::string, std::string> values;
  bool down = false;
  int puts = 0;
};

class FakeModelStore : public ModelStore {
 public:
  Status save_model_set(const ModelSetRecord& record) override {
    if (down || fail_saves > 0) {
      if (fail_saves > 0) --fail_saves;
      return store_down();
    }
    if (conflicts > 0) {  // another replica took the version first
      --conflicts;
      return Status::Conflict("model set " + record.version + " exists (fake)");
    }
    for (const auto& s : sets) {
      if (s.version == record.version) return Status::Conflict("model set " + record.version + " exists");
    }
    sets.push_back(record);
    return Status::Ok();
  }
  StatusOr<std::vector<ModelSetRecord>> list_model_sets() override {
    if (down) return store_down();
    std::vector<ModelSetRecord> out(sets.rbegin(), sets.rend());
    for (auto& s : out) s.blob.clear();
    return out;
  }
  StatusOr<std::optional<ModelSetRecord>> load_model_set(std::string_view version) override {
    if (down) return store_down();
    for (const auto& s : sets) {
      if (s.version == version) return std::optional<ModelSetRecord>(s);
    }
    return std::optional<ModelSetRecord>();
  }
  Status record_activation(const ModelActivation& activation) override {
    if (down) return store_down();
    history.push_back(activation);
    history.back().id = static_cast<int64_t>(history.size());
    return Status::Ok();
  }
  StatusOr<std::vector<ModelActivation>> activations() override {
    if (down) return store_down();
    return history;
  }
  std::vector<ModelSetRecord> sets;  // oldest first
  std::vector<ModelActivation> history;
  bool down = false;
  int fail_saves = 0;  // the next N saves fail as if the store were down
  int conflicts = 0;   // the next N saves find their version taken
};

class FakeRecommendationLogStore : public RecommendationLogStore {
 public:
  Status log_recommendations(std::span<const RecommendationLogRow> rows) override {
    ++calls;
    if (down) return store_down();
    logged.insert(logged.end(), rows.begin(), rows.end());
    return Status::Ok();
  }
  Status scan_logged_outcomes(const std::function<void(const RecommendationLogRow&, const StoredRow&)>&) override {
    return down ? store_down() : Status::Ok();
  }
  std::vector<RecommendationLogRow> logged;
  int calls = 0;
  bool down = false;
};

// Executions held in memory, in id order; only what the trainer and analytics read.
class FakeExecutionStore : public ExecutionStore {
 public:
  void add(const Execution& e) {
    StoredRow r;
    r.id = static_cast<int64_t>(rows.size()) + 1;
    r.execution = e;
    rows.push_back(std::move(r));
  }
  StatusOr<std::unique_ptr<StoreWriter>> open_writer() override {
    return Status::Unavailable("the fake execution store has no writer");
  }
  StatusOr<int64_t> count_executions() override {
    if (down) return store_down();
    return static_cast<int64_t>(rows.size());
  }
  Status scan_stats(const ExecutionFilter&, const std::function<void(const StatsRow&)>&) override {
    return Status::Unavailable("not faked");
  }
  Status scan_executions(int64_t after_id, size_t limit, const std::function<void(const StoredRow&)>& fn) override {
    if (down) return store_down();
    size_t n = 0;
    for (const auto& r : rows) {
      if (r.id <= after_id) continue;
      if (limit && n == limit) break;
      if (fail_after && n == *fail_after) return store_down();  // the scan breaks part way
      fn(r);
      ++n;
    }
    return Status::Ok();
  }
  StatusOr<std::optional<StoredRow>> find_execution(std::string_view) override {
    return Status::Unavailable("not faked");
  }
  Status scan_anomalies(std::optional<int64_t>, size_t, const std::function<void(const StoredRow&)>&) override {
    return Status::Unavailable("not faked");
  }
  std::vector<StoredRow> rows;
  bool down = false;
  std::optional<size_t> fail_after;  // the scan fails after this many rows
};

}  // namespace agentlearn::testing

#pragma once
// In-memory fakes of the narrow store interfaces, for unit tests of the services beside them
// (integration tests use the real SQLite and PostgreSQL stores). Each keeps what it was given,
// and can be told to fail the next calls, as a store that went down would.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/execution_store.hpp"
#include "store/model_store.hpp"
#include "store/recommendation_log_store.hpp"
#include "store/setting_store.hpp"
#include "store/store.hpp"

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
  StatusOr<std::optional<StoredRow>> find_execution(std::string_view execution_id) override {
    if (down) return store_down();
    for (const auto& r : rows) {
      if (r.execution.execution_id == execution_id) return std::optional<StoredRow>(r);
    }
    return std::optional<StoredRow>();
  }
  Status scan_anomalies(std::optional<int64_t>, size_t, const std::function<void(const StoredRow&)>&) override {
    return Status::Unavailable("not faked");
  }
  std::vector<StoredRow> rows;
  bool down = false;
  std::optional<size_t> fail_after;  // the scan fails after this many rows
};

// The group writer's side of FakeExecutionStore: rows staged by insert() land on commit().
class FakeStoreWriter : public StoreWriter {
 public:
  explicit FakeStoreWriter(FakeExecutionStore& rows) : rows_(rows) {}
  Status begin() override { return rows_.down ? store_down() : Status::Ok(); }
  Status commit() override {
    if (rows_.down) return store_down();
    for (auto& e : staged_) rows_.add(e);
    staged_.clear();
    return Status::Ok();
  }
  void rollback() override { staged_.clear(); }
  Status find_existing(std::span<const std::string> ids, std::vector<std::optional<ExistingExecution>>& out) override {
    out.assign(ids.size(), std::nullopt);
    for (size_t i = 0; i < ids.size(); ++i) {
      for (const auto& r : rows_.rows) {
        if (r.execution.execution_id == ids[i]) out[i] = ExistingExecution{r.id, r.execution.content_hash};
      }
    }
    return Status::Ok();
  }
  Status insert(std::span<const Execution* const> rows, int64_t received_us, std::vector<int64_t>& ids_out) override {
    ids_out.clear();
    for (const Execution* e : rows) {
      staged_.push_back(*e);
      ids_out.push_back(static_cast<int64_t>(rows_.rows.size() + staged_.size()));
    }
    (void)received_us;
    return Status::Ok();
  }
  // FakeAnalyticsStore computes the cells from the rows.
  Status journal(std::span<const int64_t>, int64_t) override { return Status::Ok(); }

 private:
  FakeExecutionStore& rows_;
  std::vector<Execution> staged_;
};

// Analytics cells computed on each read from a FakeExecutionStore's rows (what a backend's
// rollup keeps up to date), so the service's range planning can be tested without a database.
// By default every row is in the cells; a test that sets `rolled_up` keeps the rows after the
// first `rolled_up` pending (scan_journal), until roll_up() takes them all.
class FakeAnalyticsStore : public AnalyticsStore, public AnalyticsSnapshot {
 public:
  explicit FakeAnalyticsStore(FakeExecutionStore& rows) : rows_(rows) {}
  Status read_analytics(const std::function<Status(AnalyticsSnapshot&)>& fn) override {
    if (rows_.down) return store_down();
    ++snapshots;
    return fn(*this);
  }
  Status read_cells(analytics::Scope scope, std::span<const analytics::BucketRef> buckets,
                    const std::optional<std::string>& agent, const std::optional<std::string>& ttype,
                    bool with_sketch, const std::function<void(const CellRow&)>& fn) override {
    if (rows_.down) return store_down();
    ++cell_reads;
    const size_t in_cells = std::min(rolled_up.value_or(SIZE_MAX), rows_.rows.size());
    if (cells_for_ != in_cells) {  // rows were added: recompute every cell
      deltas_.clear();
      for (size_t i = 0; i < in_cells; ++i) deltas_.add(rows_.rows[i].execution);
      cells_for_ = in_cells;
    }
    std::string sketch;
    for (const auto& b : buckets) {
      for (const auto& [k, d] : deltas_.cells()) {
        if (k.level != b.level || k.bucket != b.bucket || k.scope != scope) continue;
        if ((agent && k.agent != *agent) || (ttype && k.ttype != *ttype)) continue;
        sketch = with_sketch ? d.sketch.encode() : std::string();
        fn(CellRow{k.level, k.bucket, k.agent, k.ttype, d.tally, sketch});
      }
    }
    return Status::Ok();
  }
  Status scan_edge(int64_t since_us, int64_t until_us, const std::function<void(const EdgeRow&)>& fn) override {
    if (rows_.down) return store_down();
    ++edge_scans;
    for (const auto& r : rows_.rows) {
      const Execution& e = r.execution;
      if (e.timestamp_us < since_us || e.timestamp_us >= until_us) continue;
      fn(edge_row(e));
    }
    return Status::Ok();
  }
  // Each pending row is a journal row of its own, keyed by its position.
  Status scan_journal(const std::function<void(const JournalKey&)>& fn) override {
    if (rows_.down) return store_down();
    for (size_t i = std::min(rolled_up.value_or(SIZE_MAX), rows_.rows.size()); i < rows_.rows.size(); ++i) {
      const auto at = static_cast<int64_t>(i);
      fn(JournalKey{at, at, at});
    }
    return Status::Ok();
  }
  Status scan_journaled(std::span<const JournalKey> keys,
                        const std::function<void(const JournalKey&, const EdgeRow&)>& fn) override {
    if (rows_.down) return store_down();
    for (const JournalKey& k : keys) {
      ++journaled_rows_read;
      fn(k, edge_row(rows_.rows.at(static_cast<size_t>(k.id)).execution));
    }
    return Status::Ok();
  }
  StatusOr<RollupRound> roll_up(const RollupOptions&) override {
    if (rows_.down) return store_down();
    RollupRound round;
    if (rolled_up && *rolled_up < rows_.rows.size()) {
      round.journal_rows = 1;
      round.executions = rows_.rows.size() - *rolled_up;
      analytics::CellDeltas taken;
      for (size_t i = *rolled_up; i < rows_.rows.size(); ++i) taken.add(rows_.rows[i].execution);
      rolled_up = rows_.rows.size();
      round.epoch = epoch_now();
      round.changed = taken.buckets();
    }
    return round;
  }
  // One more whenever the cells' rows changed (a round, or a row added while every row is
  // in the cells), as a store's rounds bump theirs.
  StatusOr<int64_t> rollup_epoch() override {
    if (rows_.down) return store_down();
    return epoch_now();
  }
  StatusOr<bool> lead_rollup() override { return true; }
  StatusOr<RollupBacklog> backlog() override {
    if (rows_.down) return store_down();
    RollupBacklog out;
    if (rolled_up && *rolled_up < rows_.rows.size()) {
      out.journal_rows = 1;
      out.executions = rows_.rows.size() - *rolled_up;
      out.oldest_us = rows_.rows[*rolled_up].received_us;
    }
    return out;
  }
  Status scan_flagged(int64_t since_us, int64_t until_us, const std::optional<std::string>& agent,
                      const std::optional<std::string>& task_type, size_t limit,
                      const std::function<void(const StoredRow&)>& fn) override {
    if (rows_.down) return store_down();
    std::vector<const StoredRow*> hits;
    for (const auto& r : rows_.rows) {
      const Execution& e = r.execution;
      if (!r.anomaly.value_or(false) || e.timestamp_us < since_us || e.timestamp_us >= until_us) continue;
      if ((agent && e.agent_id != *agent) || (task_type && e.task_type != task_type)) continue;
      hits.push_back(&r);
    }
    std::sort(hits.begin(), hits.end(), [](const StoredRow* a, const StoredRow* b) {
      if (a->execution.timestamp_us != b->execution.timestamp_us) {
        return a->execution.timestamp_us > b->execution.timestamp_us;
      }
      return a->id > b->id;
    });
    for (size_t i = 0; i < hits.size() && i < limit; ++i) fn(*hits[i]);
    return Status::Ok();
  }
  StatusOr<std::optional<std::pair<int64_t, int64_t>>> timestamp_bounds() override {
    if (rows_.down) return store_down();
    std::optional<std::pair<int64_t, int64_t>> out;
    for (const auto& r : rows_.rows) {
      const int64_t ts = r.execution.timestamp_us;
      if (!out) {
        out.emplace(ts, ts);
      } else {
        out->first = std::min(out->first, ts);
        out->second = std::max(out->second, ts);
      }
    }
    return out;
  }
  int snapshots = 0;
  int cell_reads = 0;
  int edge_scans = 0;
  int journaled_rows_read = 0;
  std::optional<size_t> rolled_up;  // rows in the cells; unset: all

 private:
  int64_t epoch_now() {
    const size_t in_cells = std::min(rolled_up.value_or(SIZE_MAX), rows_.rows.size());
    if (in_cells != epoch_rows_) {
      ++epoch_;
      epoch_rows_ = in_cells;
    }
    return epoch_;
  }
  int64_t epoch_ = 0;
  size_t epoch_rows_ = 0;

  static EdgeRow edge_row(const Execution& e) {
    EdgeRow row;
    row.agent_id = e.agent_id;
    if (e.task_type) row.task_type = *e.task_type;
    row.execution_time = e.execution_time;
    row.success = e.success;
    row.timestamp_us = e.timestamp_us;
    row.cost_usd = e.cost_usd;
    row.anomaly = e.anomaly;
    return row;
  }

  FakeExecutionStore& rows_;
  analytics::CellDeltas deltas_;
  size_t cells_for_ = SIZE_MAX;
};

// Embeddings: none kept.
class NoEmbeddingStore : public EmbeddingStore {
 public:
  VectorStorage vector_storage() const override { return VectorStorage::kBlob; }
  Status save_embeddings(std::span<const EmbeddingRecord>) override { return Status::Ok(); }
  Status scan_embeddings(std::string_view, int64_t, size_t, const std::function<void(const EmbeddingRecord&)>&) override {
    return Status::Ok();
  }
  Status scan_unembedded(std::string_view, int64_t, size_t, const std::function<void(const TextRow&)>&) override {
    return Status::Ok();
  }
  StatusOr<int64_t> count_embedded_tasks(std::string_view, int64_t) override { return int64_t{0}; }
  StatusOr<std::vector<TaskRuns>> task_runs(std::span<const uint64_t>, size_t) override {
    return std::vector<TaskRuns>{};
  }
  StatusOr<std::vector<TaskMatch>> nearest_tasks(std::span<const float>, std::string_view, size_t) override {
    return Status::Invalid("no pgvector in the fake store", "source");
  }
};

// The whole Store composed of the fakes above, for the service as a whole.
class FakeStore : public Store {
 public:
  FakeStore() : Store(fakes()) {}
  const char* backend() const override { return "fake"; }
  Status migrate() override { return Status::Ok(); }
  Status downgrade_schema(int) override { return Status::Internal("the fake store has no schema"); }
  Status ping() override { return fake_executions().down ? store_down() : Status::Ok(); }
  // A store that answers but cannot write (a full disk): ping() succeeds, probe_write() fails.
  bool full = false;
  Status probe_write() override {
    if (fake_executions().down) return store_down();
    return full ? Status::Unavailable("fake store: no space left") : Status::Ok();
  }
  // Every aggregate goes down together, as one database would.
  void set_down(bool down) {
    fake_executions().down = fake_models().down = fake_settings().down = fake_log().down = down;
  }

  FakeExecutionStore& fake_executions() { return static_cast<FakeExecutionStore&>(executions()); }
  FakeModelStore& fake_models() { return static_cast<FakeModelStore&>(models()); }
  FakeSettingStore& fake_settings() { return static_cast<FakeSettingStore&>(settings()); }
  FakeRecommendationLogStore& fake_log() { return static_cast<FakeRecommendationLogStore&>(recommendation_log()); }
  FakeAnalyticsStore& fake_analytics() { return static_cast<FakeAnalyticsStore&>(analytics()); }

 private:
  static Parts fakes() {
    Parts parts;
    auto executions = std::make_unique<FakeExecutionStore>();
    parts.analytics = std::make_unique<FakeAnalyticsStore>(*executions);
    parts.executions = std::move(executions);
    parts.models = std::make_unique<FakeModelStore>();
    parts.embeddings = std::make_unique<NoEmbeddingStore>();
    parts.settings = std::make_unique<FakeSettingStore>();
    parts.recommendation_log = std::make_unique<FakeRecommendationLogStore>();
    return parts;
  }
};

}  // namespace agentlearn::testing

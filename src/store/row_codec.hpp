#pragma once
// What both backends read out of a result row, and the column lists it expects, written once.
// A backend adapts its result (an sqlite3_stmt*, or a PGresult* and a row number) to a "row"
// with five accessors by column index:
//   bool null(int) const;  int64_t int64(int) const;  double real(int) const;
//   bool boolean(int) const;  std::string_view text(int) const;
// and the decoders below fill the aggregates' structs through it. They are templates so that
// a scan of a million rows pays no call per column beyond the backend's own.
#include <cstdint>
#include <iterator>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/analytics_cells.hpp"
#include "store/analytics_store.hpp"
#include "store/embedding_store.hpp"
#include "store/execution_store.hpp"
#include "store/model_store.hpp"
#include "store/recommendation_log_store.hpp"

namespace agentlearn::store_codec {

// --- column lists (the decoders' column order) ------------------------------------------------


// --- the execution row, written and read in one column order ----------------------------------
//
// One entry per column that an insert writes, in the order encode_execution() hands values to
// a writer and decode_stored_row() reads them back (SOCI's habit: to_base beside from_base).
// `type` is the PostgreSQL type its values travel as (array literals, COPY fields); `cast`
// turns that into the column's own type where they differ. After them comes `received_us`,
// one value for a whole group. `id` is the store's to draw, and `out_of_range` is set only by
// migration 6: a new column is added here and in a migration, and nowhere else (the store
// conformance test compares this list with the schema).
struct ExecutionColumn {
  const char* name;
  const char* type;
  const char* cast;
};
inline constexpr ExecutionColumn kExecutionColumns[] = {
    {"execution_id", "text", ""},       {"agent_id", "text", ""},
    {"task_id", "text", ""},            {"task_description", "text", ""},
    {"task_type", "text", ""},          {"execution_time", "float8", ""},
    {"success", "bool", ""},            {"context", "text", "::jsonb"},
    {"metrics", "text", "::jsonb"},     {"cost_usd", "float8", ""},
    {"timestamp_us", "int8", ""},       {"timestamp_defaulted", "bool", ""},
    {"recommendation_id", "text", ""},  {"content_hash", "text", ""},
    {"anomaly_score", "float8", ""},    {"anomaly", "bool", ""},
};
inline constexpr int kExecutionColumnCount = static_cast<int>(std::size(kExecutionColumns));
// The column written once per group, after kExecutionColumns.
inline constexpr const char* kReceivedColumn = "received_us";

// Hands each column of `e` to `out`, in kExecutionColumns order. A sink has
//   text(std::string_view)   opt_text(const std::optional<std::string>&)
//   dbl(double)              opt_dbl(const std::optional<double>&)
//   int64(int64_t)           boolean(bool)      opt_boolean(const std::optional<bool>&)
// (the SQLite binder, PostgreSQL's COPY row and its unnest() arrays).
template <class Sink>
void encode_execution(const Execution& e, Sink& out) {
  out.opt_text(e.execution_id);
  out.text(e.agent_id);
  out.text(e.task_id);
  out.opt_text(e.task_description);
  out.opt_text(e.task_type);
  out.dbl(e.execution_time);
  out.boolean(e.success);
  out.text(e.context_json);
  out.text(e.metrics_json);
  out.opt_dbl(e.cost_usd);
  out.int64(e.timestamp_us);
  out.boolean(e.timestamp_defaulted);
  out.opt_text(e.recommendation_id);
  out.text(e.content_hash);
  out.opt_dbl(e.anomaly_score);
  out.opt_boolean(e.anomaly);
}

// "execution_id, agent_id, ..., anomaly, received_us": the columns an insert names, in
// encode_execution() order, then kReceivedColumn.
std::string insert_column_list();

// A whole execution, as decode_stored_row() reads it: "id, " then insert_column_list().
inline constexpr const char* kStoredRowColumns =
    "id, execution_id, agent_id, task_id, task_description, task_type, execution_time, "
    "success, context, metrics, cost_usd, timestamp_us, timestamp_defaulted, "
    "recommendation_id, content_hash, anomaly_score, anomaly, received_us";
inline constexpr int kStoredRowColumnCount = 1 + kExecutionColumnCount + 1;

// What an analytics range's edge reads of an execution, as decode_edge_row() reads it.
inline constexpr const char* kEdgeColumns =
    "agent_id, task_type, execution_time, success, timestamp_us, cost_usd, anomaly";
inline constexpr int kEdgeColumnCount = 7;

// The additive part of an analytics cell, as decode_tally() reads it.
inline constexpr const char* kTallyColumns =
    "executions, successes, anomalies, scored, cost_n, time_us_hi, time_us_lo, cost_nusd_hi, cost_nusd_lo, "
    "min_ts, max_ts";
inline constexpr int kTallyColumnCount = 11;

// A model set but its blob, as decode_model_set() reads it.
inline constexpr const char* kModelSetColumns = "version, created_us, rejected, reason, summary_json";

inline constexpr const char* kActivationColumns = "id, version, activated_us, reason";

// A recommendation_log row (aliased l), as decode_log_row() reads it.
inline constexpr const char* kLogColumns =
    "l.recommendation_id, l.created_us, l.mode, l.model_version, l.chosen_agent, "
    "l.model_agent, l.rules_agent, l.propensity, l.explored";

// Each logged recommendation joined (by `execution_join`, which names the execution e) with
// the execution that followed it: kStoredRowColumns then kLogColumns, in log order, ties by
// recommendation_id `collate`d (e.g. " COLLATE \"C\"", or empty).
std::string logged_outcomes_sql(std::string_view execution_join, std::string_view collate);

// The runs of the tasks whose key meets `key_condition` (on m.task_key, e.g. "IN (?,?)"),
// grouped by task and in id order within one, as TaskRunsGrouper::add() reads them.
std::string task_runs_sql(std::string_view key_condition);

// --- decoders ---------------------------------------------------------------------------------

template <class Row>
void read_opt_text(const Row& row, int i, std::optional<std::string>& out) {
  if (row.null(i)) {
    out.reset();
  } else {
    out.emplace(row.text(i));
  }
}

template <class Row>
std::optional<double> opt_real(const Row& row, int i) {
  if (row.null(i)) return std::nullopt;
  return row.real(i);
}

// Fills `out` from kStoredRowColumns starting at column `first`: encode_execution() read
// back, column for column. Reuses the strings' capacity. On PostgreSQL, context and metrics
// come back as it re-serialises JSONB (key order and spacing may differ from what was sent).
template <class Row>
void decode_stored_row(const Row& row, StoredRow& out, int first = 0) {
  Execution& e = out.execution;
  out.id = row.int64(first);
  const int c = first + 1;  // kExecutionColumns[0]
  read_opt_text(row, c + 0, e.execution_id);
  e.agent_id.assign(row.text(c + 1));
  e.task_id.assign(row.text(c + 2));
  read_opt_text(row, c + 3, e.task_description);
  read_opt_text(row, c + 4, e.task_type);
  e.execution_time = row.real(c + 5);
  e.success = row.boolean(c + 6);
  e.context_json.assign(row.text(c + 7));
  e.metrics_json.assign(row.text(c + 8));
  e.cost_usd = opt_real(row, c + 9);
  e.timestamp_us = row.int64(c + 10);
  e.timestamp_defaulted = row.boolean(c + 11);
  read_opt_text(row, c + 12, e.recommendation_id);
  e.content_hash.assign(row.text(c + 13));
  e.anomaly_score = opt_real(row, c + 14);
  e.anomaly = row.null(c + 15) ? std::nullopt : std::optional<bool>(row.boolean(c + 15));
  out.received_us = row.int64(c + kExecutionColumnCount);
  out.anomaly_score = e.anomaly_score;
  out.anomaly = e.anomaly;
}

// Fills `out` from kEdgeColumns; its string_views point into the row.
template <class Row>
void decode_edge_row(const Row& row, EdgeRow& out) {
  out.agent_id = row.text(0);
  out.task_type = row.null(1) ? std::nullopt : std::optional<std::string_view>(row.text(1));
  out.execution_time = row.real(2);
  out.success = row.boolean(3);
  out.timestamp_us = row.int64(4);
  out.cost_usd = opt_real(row, 5);
  out.anomaly = row.null(6) ? std::nullopt : std::optional<bool>(row.boolean(6));
}

// Fills `out` from kTallyColumns, starting at column `first`.
template <class Row>
void decode_tally(const Row& row, int first, analytics::CellTally& out) {
  out.executions = static_cast<uint64_t>(row.int64(first));
  out.successes = static_cast<uint64_t>(row.int64(first + 1));
  out.anomalies = static_cast<uint64_t>(row.int64(first + 2));
  out.scored = static_cast<uint64_t>(row.int64(first + 3));
  out.cost_n = static_cast<uint64_t>(row.int64(first + 4));
  out.time_us = analytics::ExactSum::from_parts(row.int64(first + 5), row.int64(first + 6));
  out.cost_nusd = analytics::ExactSum::from_parts(row.int64(first + 7), row.int64(first + 8));
  out.min_ts = row.int64(first + 9);
  out.max_ts = row.int64(first + 10);
}

// The stored id and content hash (columns `first` and `first + 1`) that idempotency compares
// a new record with.
template <class Row>
ExistingExecution decode_existing(const Row& row, int first = 0) {
  return ExistingExecution{row.int64(first), std::string(row.text(first + 1))};
}

// Fills `out` but its blob from kModelSetColumns.
template <class Row>
void decode_model_set(const Row& row, ModelSetRecord& out) {
  out.version.assign(row.text(0));
  out.created_us = row.int64(1);
  out.rejected = row.boolean(2);
  out.reason.assign(row.text(3));
  out.summary_json.assign(row.text(4));
}

// Fills `out` from kActivationColumns.
template <class Row>
void decode_activation(const Row& row, ModelActivation& out) {
  out.id = row.int64(0);
  out.version.assign(row.text(1));
  out.activated_us = row.int64(2);
  out.reason.assign(row.text(3));
}

// Fills `out` from kLogColumns starting at column `first`.
template <class Row>
void decode_log_row(const Row& row, RecommendationLogRow& out, int first) {
  out.recommendation_id.assign(row.text(first + 0));
  out.created_us = row.int64(first + 1);
  out.mode.assign(row.text(first + 2));
  out.model_version.assign(row.text(first + 3));
  out.chosen_agent.assign(row.text(first + 4));
  out.model_agent.assign(row.text(first + 5));
  out.rules_agent.assign(row.text(first + 6));
  out.propensity = row.real(first + 7);
  out.explored = row.boolean(first + 8);
}

// Decodes the rows of logged_outcomes_sql() and hands each to `fn`.
class LoggedOutcomes {
 public:
  using Callback = std::function<void(const RecommendationLogRow&, const StoredRow&)>;
  explicit LoggedOutcomes(const Callback& fn) : fn_(fn) {}

  template <class Row>
  void add(const Row& row) {
    decode_stored_row(row, execution_);
    decode_log_row(row, log_, kStoredRowColumnCount);
    fn_(log_, execution_);
  }

 private:
  const Callback& fn_;
  RecommendationLogRow log_;
  StoredRow execution_;
};

// Fills `out` from "e.id, e.task_id, e.task_description"; its string_views point into the row.
template <class Row>
void decode_text_row(const Row& row, TextRow& out) {
  out.id = row.int64(0);
  out.task_id = row.text(1);
  out.description = row.text(2);
}

// Fills `out` but its vector and version from "m.id, m.task_key, <the vector>, e.task_id":
// the vector's encoding is the backend's (float_bytes(), append_vector_text()).
template <class Row>
void decode_embedding_row(const Row& row, EmbeddingRecord& out) {
  out.id = row.int64(0);
  out.task_key = static_cast<uint64_t>(row.int64(1));
  out.task_id.assign(row.text(3));
}

// --- task runs --------------------------------------------------------------------------------

// Groups the rows of task_runs_sql() by task: the first row of a task names it, every row
// counts, and the first `runs_per_task` are listed.
class TaskRunsGrouper;

// The tasks with these keys and up to `runs_per_task` runs each: `run_query` runs
// task_runs_sql() and hands each row to the grouper's add().
template <class RunQuery>
StatusOr<std::vector<TaskRuns>> collect_task_runs(std::span<const uint64_t> task_keys, size_t runs_per_task,
                                                  RunQuery&& run_query);

class TaskRunsGrouper {
 public:
  explicit TaskRunsGrouper(size_t runs_per_task) : runs_per_task_(runs_per_task) {}

  template <class Row>
  void add(const Row& row) {
    TaskRuns& t = task(static_cast<uint64_t>(row.int64(0)), row.text(1), row.text(2));
    ++t.total_runs;
    if (t.runs.size() >= runs_per_task_) return;
    TaskRun& run = t.runs.emplace_back();
    run.agent_id.assign(row.text(3));
    run.success = row.boolean(4);
    run.execution_time = row.real(5);
  }

  std::vector<TaskRuns> take() && { return std::move(out_); }

 private:
  TaskRuns& task(uint64_t key, std::string_view task_id, std::string_view description);

  size_t runs_per_task_;
  std::vector<TaskRuns> out_;
  std::unordered_map<uint64_t, size_t> slot_;
};

template <class RunQuery>
StatusOr<std::vector<TaskRuns>> collect_task_runs(std::span<const uint64_t> task_keys, size_t runs_per_task,
                                                  RunQuery&& run_query) {
  if (task_keys.empty()) return std::vector<TaskRuns>();
  TaskRunsGrouper tasks(runs_per_task);
  if (Status st = run_query(tasks); !st.ok()) return st;
  return std::move(tasks).take();
}

// --- embedding vectors ------------------------------------------------------------------------

// The vector as 4-byte floats in the machine's order (little-endian on every supported
// machine), as SQLite keeps it inline in the row; valid as long as `v`.
std::string_view float_bytes(std::span<const float> v);
void floats_from_bytes(std::string_view bytes, std::vector<float>& out);

// The vector as PostgreSQL text input: "[a,b]" for pgvector (`brackets`), "{a,b}" for real[];
// shortest round-trip digits, so what is read back is the same float.
void append_vector_text(std::string& out, std::span<const float> v, bool brackets);
// Parses either text form back; false on anything else.
bool parse_vector_text(std::string_view text, std::vector<float>& out);

}  // namespace agentlearn::store_codec

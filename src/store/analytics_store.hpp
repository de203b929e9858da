#pragma once
// Analytics aggregates as the store keeps them (store/analytics_cells.hpp says what a cell
// is), kept the way TimescaleDB keeps a continuous aggregate with real-time aggregation, made
// exact by a transactional outbox (docs/analytics.md):
//   - the group writer stores each group's executions and one journal row naming them, in one
//     transaction, and nothing else (StoreWriter::journal);
//   - a rollup round (roll_up) takes journal rows, adds their executions to the cells and
//     deletes those journal rows, in one transaction, so every execution is in exactly one
//     of the two at every commit, whatever order the ids committed in;
//   - a reader adds the executions the journal still names (scan_pending) to the cells, in
//     the same snapshot.
// Reads are thread-safe; each answer reads one snapshot.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.hpp"
#include "store/analytics_cells.hpp"
#include "store/execution_store.hpp"

namespace agentlearn {

// One stored cell as read back; views are valid only during the callback.
struct CellRow {
  int level = 0;
  int64_t bucket = 0;
  std::string_view agent;
  std::string_view ttype;
  analytics::CellTally tally;
  std::string_view sketch;  // LatencySketch::encode()
};

// What the analytics edges read of one execution; views are valid only during the callback.
struct EdgeRow {
  std::string_view agent_id;
  std::optional<std::string_view> task_type;
  double execution_time = 0;
  bool success = false;
  int64_t timestamp_us = 0;
  std::optional<double> cost_usd;
  std::optional<bool> anomaly;  // empty: not scored
};

// An EdgeRow that owns its strings, to keep beyond the callback.
struct OwnedEdgeRow {
  std::string agent_id;
  std::optional<std::string> task_type;
  double execution_time = 0;
  bool success = false;
  int64_t timestamp_us = 0;
  std::optional<double> cost_usd;
  std::optional<bool> anomaly;

  static OwnedEdgeRow of(const EdgeRow& r) {
    return {std::string(r.agent_id), r.task_type ? std::optional<std::string>(*r.task_type) : std::nullopt,
            r.execution_time, r.success, r.timestamp_us, r.cost_usd, r.anomaly};
  }
  EdgeRow view() const {
    return {agent_id, task_type ? std::optional<std::string_view>(*task_type) : std::nullopt,
            execution_time, success, timestamp_us, cost_usd, anomaly};
  }
};

// A journal row as a reader names it. The same key always names the same executions
// (SQLite can hand a deleted row's id out again, so there the key holds the row's rowid range
// too; PostgreSQL's ids are never reused and `first`, `last` are 0).
struct JournalKey {
  int64_t id = 0;
  int64_t first = 0;
  int64_t last = 0;
  auto operator<=>(const JournalKey&) const = default;
};

// Adds one counted run to the cells it falls in.
inline void add_run(analytics::CellDeltas& cells, const EdgeRow& r) {
  cells.add(r.agent_id, r.task_type, r.execution_time, r.success, r.cost_usd, r.timestamp_us, r.anomaly);
}

// One consistent view of the cells and the executions: every read through it sees the same
// committed state, so the cells and the edge rows of one answer agree with each other.
class AnalyticsSnapshot {
 public:
  virtual ~AnalyticsSnapshot() = default;
  // The cells of `scope` in the given buckets, only those of `agent` and/or `ttype` (a
  // type_key()) when given, in no particular order. Without `with_sketch` the rows' sketch
  // is empty and is not read at all (most of a wide cell's bytes).
  virtual Status read_cells(analytics::Scope scope, std::span<const analytics::BucketRef> buckets,
                            const std::optional<std::string>& agent, const std::optional<std::string>& ttype,
                            bool with_sketch, const std::function<void(const CellRow&)>& fn) = 0;
  // The executions with since_us <= timestamp_us < until_us (the partial buckets at a
  // range's ends), through the timestamp index.
  virtual Status scan_edge(int64_t since_us, int64_t until_us, const std::function<void(const EdgeRow&)>& fn) = 0;
  // The journal rows this snapshot sees: the executions stored and not yet in the cells.
  virtual Status scan_journal(const std::function<void(const JournalKey&)>& fn) = 0;
  // The executions the journal rows `rows` name (each one this snapshot sees), those the cells
  // count (not out of range), each with its row's key, in no particular order.
  virtual Status scan_journaled(std::span<const JournalKey> rows,
                                const std::function<void(const JournalKey&, const EdgeRow&)>& fn) = 0;
  // The rollup epoch this snapshot sees: the number of rounds committed before it. Two
  // snapshots at the same epoch see the same cells.
  virtual StatusOr<int64_t> rollup_epoch() = 0;
  // The smallest and largest stored timestamp_us, or nullopt when there are no executions.
  virtual StatusOr<std::optional<std::pair<int64_t, int64_t>>> timestamp_bounds() = 0;
  // Flagged executions (anomaly = true) with since_us <= timestamp_us < until_us, of `agent`
  // and of `task_type` when given, newest run first (ties: newest row), at most `limit`.
  // Filtered in the query, through the flagged rows' timestamp index: a narrow filter finds
  // its anomalies however many others were flagged since.
  virtual Status scan_flagged(int64_t since_us, int64_t until_us, const std::optional<std::string>& agent,
                              const std::optional<std::string>& task_type, size_t limit,
                              const std::function<void(const StoredRow&)>& fn) = 0;
};

// What one rollup round did.
struct RollupRound {
  uint64_t journal_rows = 0;  // consumed (deleted)
  uint64_t executions = 0;    // added to the cells
  uint64_t cells = 0;         // distinct cells written
  int64_t epoch = 0;          // the rollup epoch its commit set; 0 when it folded nothing
  // The buckets (of every level) whose cells it changed: an in-process copy of the cells at
  // epoch - 1 holds the cells of epoch `epoch` once these are dropped from it.
  std::vector<analytics::BucketRef> changed;
};

// What is waiting for a round.
struct RollupBacklog {
  uint64_t journal_rows = 0;
  uint64_t executions = 0;
  std::optional<int64_t> oldest_us;  // when the oldest waiting journal row was written
};

struct RollupOptions {
  // A round stops taking journal rows once it holds this many executions (it always takes
  // at least one row): bounds how long it holds the write lock.
  size_t max_executions = 20000;
  // Runs inside the round's transaction after the cells are written, before the commit; an
  // error rolls the round back. A test's fault hook (a round killed mid-way).
  std::function<Status()> before_commit;
};

class AnalyticsStore {
 public:
  virtual ~AnalyticsStore() = default;
  // One rollup round: up to `max_executions` of the oldest journal rows' executions added to
  // the cells, those journal rows deleted and the rollup epoch bumped, in one transaction.
  // Rounds on one store take turns (SQLite: the write lock; PostgreSQL: an advisory
  // transaction lock only rounds take), and a round folds only the journal rows its own
  // delete removed, so two processes running rounds at once never count a row twice.
  virtual StatusOr<RollupRound> roll_up(const RollupOptions& options) = 0;
  virtual StatusOr<RollupBacklog> backlog() = 0;
  // Whether this process is the store's rollup leader, the one that runs rounds: called
  // before each round and at least every second (on PostgreSQL it is also the heartbeat that
  // keeps the leadership). SQLite: always (its serving process is the only one). PostgreSQL:
  // while this store holds a session advisory lock on a connection of its own, taken when
  // free; a leader that dies, stops or is cut off loses it within ~10 s (docs/analytics.md).
  // PGlite: always (one session serves every connection, so a lock elects nothing).
  // Correctness never depends on it: rounds take turns in the store.
  virtual StatusOr<bool> lead_rollup() = 0;
  // Runs `fn` on one snapshot and returns its status (or the store's, when the snapshot
  // could not be taken). SQLite: one read transaction on one pooled connection, which also
  // spares each statement its own WAL read-lock round; PostgreSQL: one REPEATABLE READ,
  // READ ONLY transaction. The snapshot is valid only during the call.
  virtual Status read_analytics(const std::function<Status(AnalyticsSnapshot&)>& fn) = 0;
};

}  // namespace agentlearn

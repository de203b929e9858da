// The SQLite schema: numbered migrations and migrate().
#include <mutex>
#include <iterator>
#include <string>

#include "store/shared_migrations.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace agentlearn {

using namespace sqlite_impl;

namespace {

// The types of the tables both backends declare alike (store/shared_migrations.hpp).
constexpr shared_migrations::SqlTypes kTypes = {"INTEGER", "INTEGER", "REAL", "BLOB", " WITHOUT ROWID"};

// Migration 6: exact sums, scored runs, and rows out of range.
//  - Rows stored before the value ranges were enforced (docs/api.md, "Ranges") that hold a
//    value no run can have (a cost of 1e308 made every sum infinite) are flagged, kept
//    (nothing is deleted) and left out of every sum: the analytics' row reads skip them and
//    the cells are rebuilt without them. New rows cannot be out of range: they are validated.
//  - The cells' sums become fixed-point 128-bit integers (ExactSum in analytics_cells.hpp:
//    microseconds and nano-dollars as hi * 2^62 + lo), so an answer equals a scan of the rows
//    whatever order they were added in, and they count the runs the anomaly detector scored.
//  The cells are dropped and rebuilt from the executions (backfill_cells).
Status exact_cells(sqlite3* db) {
  const std::string sql = shared_migrations::flag_out_of_range("INTEGER NOT NULL DEFAULT 0", "1") +
                          shared_migrations::exact_cells_table(kTypes);
  if (Status st = exec(db, sql.c_str(), "migration 6"); !st.ok()) return st;
  return backfill_cells(db);
}

// Migration 4: analytics cells (docs/analytics.md): per level, time bucket, scope (0 agent x
// task type, 1 agent, 2 task type, 3 everything) and key, the tallies and the latency sketch
// of the executions in it. Clustered by (level, bucket) so that a group's upserts of the
// current buckets land on a few pages, and a read finds one bucket's cells of one scope
// together. Migration 6 replaces this first form.
Status first_cells(sqlite3* db) {
  const std::string sql = shared_migrations::first_cells_table(kTypes);
  return exec(db, sql.c_str(), "migration 4");
}

// Numbered migrations, applied in order, each in its own transaction and recorded in
// schema_migrations. Append new ones; never change what a shipped one does (how its text is
// assembled may change: shared_migrations.hpp).
struct Migration {
  int version;
  const char* sql;                      // nullptr: `apply` is the whole migration
  Status (*apply)(sqlite3*) = nullptr;  // run after `sql`, in the same transaction
};

constexpr Migration kMigrations[] = {
    {1, R"sql(
-- No AUTOINCREMENT: it updates sqlite_sequence on every insert (measured on batch ingest).
-- Executions are never deleted, so the rowid (max + 1) never hands out an id twice.
CREATE TABLE executions (
  id INTEGER PRIMARY KEY,
  execution_id TEXT UNIQUE,
  agent_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  task_description TEXT,
  task_type TEXT,
  execution_time REAL NOT NULL,
  success INTEGER NOT NULL,
  context TEXT NOT NULL,
  metrics TEXT NOT NULL,
  cost_usd REAL,
  timestamp_us INTEGER NOT NULL,
  timestamp_defaulted INTEGER NOT NULL DEFAULT 0,
  recommendation_id TEXT,
  content_hash TEXT NOT NULL,
  received_us INTEGER NOT NULL,
  anomaly_score REAL,
  anomaly INTEGER
);
-- One secondary index on purpose: every index is pages written in each commit, and an index
-- led by agent_id or task_type scatters a group's rows over as many leaf pages as there are
-- agents or types (measured: 1.4 ms commits of 16 rows with three indexes). Analytics scan
-- by time; per-agent questions are answered from aggregates, not from this table.
CREATE INDEX executions_ts_idx ON executions (timestamp_us);
)sql"},
    {2, R"sql(
-- The blob last: a listing reads the other columns from the row's first page and never
-- touches the blob's overflow pages.
CREATE TABLE model_sets (
  version TEXT PRIMARY KEY,
  created_us INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  reason TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  blob BLOB NOT NULL
);
-- Appended, never deleted: the rowid (max + 1) keeps ids increasing without AUTOINCREMENT.
CREATE TABLE model_activations (
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL,
  activated_us INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
-- WITHOUT ROWID: one b-tree written per logged recommendation instead of a table and the
-- index behind its primary key.
CREATE TABLE recommendation_log (
  recommendation_id TEXT PRIMARY KEY,
  created_us INTEGER NOT NULL,
  mode TEXT NOT NULL,
  model_version TEXT NOT NULL,
  chosen_agent TEXT NOT NULL,
  model_agent TEXT NOT NULL,
  rules_agent TEXT NOT NULL,
  propensity REAL NOT NULL,
  explored INTEGER NOT NULL
) WITHOUT ROWID;
-- Partial, to cost ingest as little as possible (see migration 1): only flagged rows enter the
-- first, only rows that followed a recommendation the second (the outcome join's lookup).
CREATE INDEX executions_anomaly_idx ON executions (id) WHERE anomaly = 1;
CREATE INDEX executions_recommendation_idx ON executions (recommendation_id)
  WHERE recommendation_id IS NOT NULL;
)sql"},
    {3, R"sql(
-- Task embeddings in a table of their own: written in the background after ingest and
-- rewritten when the embedding changes, so the ingest path's table keeps its one index.
-- The vector is 4-byte little-endian floats, inline in the row (1 KiB at 256 dimensions).
CREATE TABLE embeddings (
  id INTEGER PRIMARY KEY REFERENCES executions (id),
  task_key INTEGER NOT NULL,
  version TEXT NOT NULL,
  vector BLOB NOT NULL
);
-- A similar-task answer lists each task's runs; the index also covers counting the tasks
-- of a version (the cached index file's check) without reading the vectors.
CREATE INDEX embeddings_task_idx ON embeddings (task_key, version);
)sql"},
    {4, nullptr, first_cells},
    {5, R"sql(
-- The dashboard's recent anomalies: flagged rows newest run first, filtered in the query.
CREATE INDEX executions_flagged_ts_idx ON executions (timestamp_us) WHERE anomaly = 1;
)sql"},
    {6, nullptr, exact_cells},
    {7, R"sql(
-- Analytics off the ingest path (docs/analytics.md). The group writer no longer touches the
-- cells: each group writes one journal row naming its executions (a rowid range: this
-- store's writers take turns, so a group's rowids are consecutive), and a rollup round adds
-- them to the cells and deletes the row in one transaction. The cells table is renamed so
-- that a release from before the journal, which would write cells itself, fails at its
-- first write instead of running beside this one.
ALTER TABLE analytics_cells RENAME TO rollup_cells;
CREATE TABLE analytics_journal (
  id INTEGER PRIMARY KEY,
  first_id INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  created_us INTEGER NOT NULL
);
-- One row: bumped by every rollup round, in its transaction, so a reader knows which rounds
-- its snapshot holds.
CREATE TABLE analytics_rollup (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  epoch INTEGER NOT NULL
);
INSERT INTO analytics_rollup VALUES (1, 0);
)sql"},
};

StatusOr<bool> migration_applied(sqlite3* db, int version) {
  auto stmt = prepare(db, "SELECT 1 FROM schema_migrations WHERE version = ?1");
  if (!stmt.ok()) return stmt.status();
  sqlite3_bind_int(stmt->get(), 1, version);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_status(db, rc, "read schema_migrations");
}

// The newest migration recorded in the store (0: none).
StatusOr<int> newest_applied(sqlite3* db) {
  auto stmt = prepare(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!stmt.ok()) return stmt.status();
  int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) return sqlite_status(db, rc, "read schema_migrations");
  return sqlite3_column_int(stmt->get(), 0);
}

Status migrate_schema(sqlite3* db) {
  constexpr int kKnown = std::end(kMigrations)[-1].version;
  for (const Migration& m : kMigrations) {
    // BEGIN IMMEDIATE serialises migrating processes: the second waits (busy_timeout), then
    // sees the version recorded and skips it.
    if (Status st = exec(db, "BEGIN IMMEDIATE", "migrate: begin"); !st.ok()) return st;
    TxnGuard guard(db);
    if (Status st = exec(db,
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version INTEGER PRIMARY KEY, "
                         "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
                         "migrate: create schema_migrations");
        !st.ok()) {
      return st;
    }
    auto newest = newest_applied(db);
    if (!newest.ok()) return newest.status();
    if (*newest > kKnown) return shared_migrations::refuse_newer_schema(*newest, kKnown);
    auto applied = migration_applied(db, m.version);
    if (!applied.ok()) return applied.status();
    if (*applied) continue;  // guard rolls back the empty transaction
    if (m.sql != nullptr) {
      if (Status st = exec(db, m.sql, "migration " + std::to_string(m.version)); !st.ok()) return st;
    }
    if (m.apply != nullptr) {
      if (Status st = m.apply(db); !st.ok()) return st;
    }
    {
      auto ins = prepare(db, "INSERT INTO schema_migrations (version) VALUES (?1)");
      if (!ins.ok()) return ins.status();
      sqlite3_bind_int(ins->get(), 1, m.version);
      int rc = sqlite3_step(ins->get());
      if (rc != SQLITE_DONE) return sqlite_status(db, rc, "record migration");
    }
    if (Status st = exec(db, "COMMIT", "migrate: commit"); !st.ok()) return st;
    guard.release();
  }
  return Status::Ok();
}

// The count of rows of `sql` (one number), for downgrade_schema's checks.
StatusOr<int64_t> count_of(sqlite3* db, const char* sql) {
  auto stmt = prepare(db, sql);
  if (!stmt.ok()) return stmt.status();
  int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) return sqlite_status(db, rc, "downgrade: read");
  return sqlite3_column_int64(stmt->get(), 0);
}

Status downgrade(sqlite3* db, int version) {
  // IMMEDIATE: no group writer can journal between the check and the change.
  if (Status st = exec(db, "BEGIN IMMEDIATE", "downgrade: begin"); !st.ok()) return st;
  TxnGuard guard(db);
  auto newest = newest_applied(db);
  if (!newest.ok()) return newest.status();
  if (*newest <= version && version == 6) return Status::Ok();  // there already
  int64_t pending = 0;
  if (*newest == 7) {
    auto n = count_of(db, "SELECT count(*) FROM analytics_journal");
    if (!n.ok()) return n.status();
    pending = *n;
  }
  if (Status st = shared_migrations::check_downgrade(*newest, version, pending); !st.ok()) return st;
  if (Status st = exec(db, shared_migrations::kUndoJournal, "downgrade: undo migration 7"); !st.ok()) return st;
  if (Status st = exec(db, "COMMIT", "downgrade: commit"); !st.ok()) return st;
  guard.release();
  return Status::Ok();
}

}  // namespace

Status SqliteStore::migrate() {
  return pool_->with_control([](sqlite3* db) { return migrate_schema(db); });
}

Status SqliteStore::downgrade_schema(int version) {
  return pool_->with_control([version](sqlite3* db) { return downgrade(db, version); });
}

}  // namespace agentlearn

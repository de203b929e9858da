// The PostgreSQL schema: numbered migrations and migrate(), and which way the embeddings
// column went.
#include <iterator>
#include <string>

#include "store/postgres/postgres_connection.hpp"
#include "store/shared_migrations.hpp"
#include "store/postgres/postgres_store.hpp"

namespace agentlearn {

using namespace pg_impl;

namespace {

// Numbered migrations, applied in order, each in its own transaction under an advisory lock
// and recorded in schema_migrations. Append new ones; never change what a shipped one does
// (how its text is assembled may change: shared_migrations.hpp).
struct Migration {
  int version;
  const char* sql;  // run as one script; nullptr: `apply` decides what to run
  Status (*apply)(PGconn*) = nullptr;
};

Status create_embeddings(PGconn* c);  // migration 3, below
Status flag_out_of_range(PGconn* c);  // migration 6, below
Status create_analytics_cells(PGconn* c);  // migration 4, below

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE executions (
  id BIGSERIAL PRIMARY KEY,
  execution_id TEXT UNIQUE,
  agent_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  task_description TEXT,
  task_type TEXT,
  execution_time DOUBLE PRECISION NOT NULL,
  success BOOLEAN NOT NULL,
  context JSONB NOT NULL,
  metrics JSONB NOT NULL,
  cost_usd DOUBLE PRECISION,
  timestamp_us BIGINT NOT NULL,
  timestamp_defaulted BOOLEAN NOT NULL DEFAULT FALSE,
  recommendation_id TEXT,
  content_hash TEXT NOT NULL,
  received_us BIGINT NOT NULL,
  anomaly_score DOUBLE PRECISION,
  anomaly BOOLEAN
);
-- One secondary index on purpose, as in SQLite (sqlite_migrations.cpp says why).
CREATE INDEX executions_ts_idx ON executions (timestamp_us);
)sql"},
    {2, R"sql(
CREATE TABLE model_sets (
  version TEXT PRIMARY KEY,
  created_us BIGINT NOT NULL,
  rejected BOOLEAN NOT NULL,
  reason TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  blob BYTEA NOT NULL
);
-- Out of line and uncompressed: load_model_set() reads the blob in slices, and substring() of
-- an uncompressed value reads only the chunks it returns, where a compressed one would be
-- decompressed from its start again for every slice.
ALTER TABLE model_sets ALTER COLUMN blob SET STORAGE EXTERNAL;
CREATE TABLE model_activations (
  id BIGSERIAL PRIMARY KEY,
  version TEXT NOT NULL,
  activated_us BIGINT NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE recommendation_log (
  recommendation_id TEXT PRIMARY KEY,
  created_us BIGINT NOT NULL,
  mode TEXT NOT NULL,
  model_version TEXT NOT NULL,
  chosen_agent TEXT NOT NULL,
  model_agent TEXT NOT NULL,
  rules_agent TEXT NOT NULL,
  propensity DOUBLE PRECISION NOT NULL,
  explored BOOLEAN NOT NULL
);
-- Partial, to cost ingest as little as possible (see migration 1): only flagged rows enter the
-- first, only rows that followed a recommendation the second (the outcome join's lookup).
CREATE INDEX executions_anomaly_idx ON executions (id) WHERE anomaly;
CREATE INDEX executions_recommendation_idx ON executions (recommendation_id)
  WHERE recommendation_id IS NOT NULL;
)sql"},
    // Task embeddings: pgvector's vector(256) with an HNSW index where the extension can be
    // created, else real[] (searched in the service); see create_embeddings().
    {3, nullptr, create_embeddings},
    // Analytics cells (docs/analytics.md), filled from the executions already stored.
    {4, nullptr, create_analytics_cells},
    // The dashboard's recent anomalies: flagged rows newest run first, filtered in the query.
    {5, R"sql(
CREATE INDEX executions_flagged_ts_idx ON executions (timestamp_us) WHERE anomaly;
)sql"},
    // Rows holding values no run can have, flagged and left out of the sums (sqlite_migrations.cpp).
    {6, nullptr, flag_out_of_range},
    // Analytics off the ingest path (sqlite_migrations.cpp says why): a journal row per write
    // group naming its ids (a sequence's ids commit out of order, so a row names them all,
    // never a range), the rollup epoch, and the cells renamed so that a release from before
    // the journal fails at its first cell write.
    {7, R"sql(
ALTER TABLE analytics_cells RENAME TO rollup_cells;
CREATE TABLE analytics_journal (
  id BIGSERIAL PRIMARY KEY,
  ids BIGINT[] NOT NULL,
  created_us BIGINT NOT NULL
);
CREATE TABLE analytics_rollup (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  epoch BIGINT NOT NULL
);
INSERT INTO analytics_rollup VALUES (1, 0);
)sql"},
};

// The types of the tables both backends declare alike (store/shared_migrations.hpp).
constexpr shared_migrations::SqlTypes kTypes = {"INTEGER", "BIGINT", "DOUBLE PRECISION", "BYTEA", ""};

// Migration 6: rows out of range flagged, the cells' sums exact, scored runs counted
// (sqlite_migrations.cpp says why); the cells are rebuilt.
Status flag_out_of_range(PGconn* c) {
  const std::string sql = shared_migrations::flag_out_of_range("BOOLEAN NOT NULL DEFAULT false", "true") +
                          shared_migrations::exact_cells_table(kTypes);
  Result r(PQexec(c, sql.c_str()));
  if (!result_ok(r.get())) return pg_status(c, r.get(), "migration 6: flag out-of-range rows, exact cells");
  return backfill_cells(c);
}

// Serialises migrate() across processes and replicas ("agentlea" in ASCII).
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_xact_lock(7018141399158171233)";

// The embeddings table without its vector column's type; create_embeddings() completes it.
constexpr const char* kEmbeddingsTableSql = R"sql(
CREATE TABLE embeddings (
  id BIGINT PRIMARY KEY REFERENCES executions (id),
  task_key BIGINT NOT NULL,
  version TEXT NOT NULL,
  embedding %s NOT NULL
);
-- A similar-task answer lists each task's runs; counting a version's tasks uses it too.
CREATE INDEX embeddings_task_idx ON embeddings (task_key, version);
)sql";

// Migration 3. Whether the vector extension can be created is only known by trying (it may
// be missing, or the role may not be allowed to create it); a savepoint keeps the migration's
// transaction usable when it fails, and the table is then made with real[] instead.
Status create_embeddings(PGconn* c) {
  if (Status st = exec_script(c, "SAVEPOINT agentlearn_vector", "migration 3: savepoint"); !st.ok()) {
    return st;
  }
  Result ext(PQexec(c, "CREATE EXTENSION IF NOT EXISTS vector"));
  bool pgvector = result_ok(ext.get());
  if (Status st = exec_script(c, pgvector ? "RELEASE SAVEPOINT agentlearn_vector"
                                          : "ROLLBACK TO SAVEPOINT agentlearn_vector",
                              "migration 3: savepoint");
      !st.ok()) {
    return st;
  }
  std::string table(kEmbeddingsTableSql);
  table.replace(table.find("%s"), 2, pgvector ? "vector(256)" : "real[]");
  if (pgvector) {
    // Cosine distance (<=>), the similarity the service's own index answers with.
    table += "CREATE INDEX embeddings_hnsw_idx ON embeddings USING hnsw (embedding vector_cosine_ops);\n";
  }
  return exec_script(c, table, "migration 3");
}

// Migration 4: the cells' first form (migration 6 replaces the table and fills it).
Status create_analytics_cells(PGconn* c) {
  return exec_script(c, shared_migrations::first_cells_table(kTypes), "migration 4");
}

}  // namespace

Status PostgresStore::migrate() {
  return pool_->with_read_retry([&](Connection& conn, bool&) -> Status {
    PGconn* c = conn.get();
    constexpr int kKnown = std::end(kMigrations)[-1].version;
    for (const Migration& m : kMigrations) {
      {
        Result r(PQexec(c, "BEGIN"));
        if (!result_ok(r.get())) return pg_status(c, r.get(), "migrate: begin");
      }
      ReadTxn txn(c);  // rolls back unless committed
      // The lock makes concurrent migrators (replicas starting together) take turns; the
      // second then finds the version recorded and skips it.
      Result lock(PQexec(c, kMigrationLockSql));
      if (!result_ok(lock.get())) return pg_status(c, lock.get(), "migrate: lock");
      Result create(PQexec(c,
                           "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version INTEGER PRIMARY KEY, "
                           "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
      if (!result_ok(create.get())) return pg_status(c, create.get(), "migrate: schema_migrations");
      Result newest(PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_migrations"));
      if (!result_ok(newest.get())) return pg_status(c, newest.get(), "migrate: read versions");
      const int stored = static_cast<int>(value_int(newest.get(), 0, 0));
      if (stored > kKnown) return shared_migrations::refuse_newer_schema(stored, kKnown);
      std::string version = std::to_string(m.version);
      const char* params[] = {version.c_str()};
      Result seen(PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1::int", 1,
                               nullptr, params, nullptr, nullptr, 0));
      if (!result_ok(seen.get())) return pg_status(c, seen.get(), "migrate: read versions");
      if (PQntuples(seen.get()) > 0) continue;  // applied already; txn rolls back
      if (m.apply != nullptr) {
        if (Status st = m.apply(c); !st.ok()) return st;
      } else {
        Result apply(PQexec(c, m.sql));
        if (!result_ok(apply.get())) return pg_status(c, apply.get(), "migration " + version);
      }
      Result record(PQexecParams(c, "INSERT INTO schema_migrations (version) VALUES ($1::int)", 1,
                                 nullptr, params, nullptr, nullptr, 0));
      if (!result_ok(record.get())) return pg_status(c, record.get(), "migrate: record version");
      Result commit(PQexec(c, "COMMIT"));
      txn.done();
      if (!result_ok(commit.get())) return pg_status(c, commit.get(), "migrate: commit");
    }
    // Which way migration 3 went (here or in an earlier run): the column's declared type.
    Result type(PQexec(c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                          "WHERE attrelid = 'embeddings'::regclass AND attname = 'embedding'"));
    if (!result_ok(type.get())) return pg_status(c, type.get(), "migrate: embedding type");
    bool pgvector = PQntuples(type.get()) == 1 && value_view(type.get(), 0, 0).starts_with("vector");
    pool_->set_vector_storage(pgvector ? VectorStorage::kPgvector : VectorStorage::kRealArray);
    return Status::Ok();
  });
}

Status PostgresStore::downgrade_schema(int version) {
  return pool_->write_txn([&](Connection& conn) -> Status {
    PGconn* c = conn.get();
    // Migrators take turns with this; the journal's lock keeps every writer out until the
    // commit (a writer still running then fails: its journal is gone, which is loud).
    if (Status st = exec_script(c, kMigrationLockSql, "downgrade: lock"); !st.ok()) return st;
    Result newest(PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_migrations"));
    if (!result_ok(newest.get())) return pg_status(c, newest.get(), "downgrade: read versions");
    const int stored = static_cast<int>(value_int(newest.get(), 0, 0));
    if (stored <= version && version == 6) return Status::Ok();  // there already
    int64_t pending = 0;
    if (stored == 7) {
      if (Status st = exec_script(c, "LOCK TABLE analytics_journal IN ACCESS EXCLUSIVE MODE", "downgrade: lock journal");
          !st.ok()) {
        return st;
      }
      Result n(PQexec(c, "SELECT count(*) FROM analytics_journal"));
      if (!result_ok(n.get())) return pg_status(c, n.get(), "downgrade: read the journal");
      pending = value_int(n.get(), 0, 0);
    }
    if (Status st = shared_migrations::check_downgrade(stored, version, pending); !st.ok()) return st;
    return exec_script(c, shared_migrations::kUndoJournal, "downgrade: undo migration 7");
  });
}

}  // namespace agentlearn

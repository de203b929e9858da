// SQLite: the analytics cells and their journal. The group writer journals each group's
// rowid range (sqlite_writer.cpp); a rollup round, one IMMEDIATE transaction, adds the
// journaled executions to the cells (upsert_cells: one upsert per distinct cell, sketches
// merged by a function this file registers on every connection) and deletes their journal
// rows. Reads look cells up by primary key, bucket by bucket, and read the journaled
// executions, every read of one answer in one read transaction.
#include <limits>
#include <string>

#include "store/cell_backfill.hpp"
#include "store/over_pool.hpp"
#include "store/rollup_steps.hpp"
#include "store/row_codec.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;
using analytics::BucketRef;
using analytics::CellDeltas;
using analytics::Scope;
using store_codec::kTallyColumnCount;
using store_codec::kTallyColumns;

namespace sqlite_impl {

namespace {

// The cells table (migration 7 renamed it: docs/analytics.md, "Upgrades").
constexpr const char* kCellsTable = "rollup_cells";

// agentlearn_sketch_merge(a, b): the encoded sum of two encoded sketches.
void sketch_merge_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  LatencySketch s;
  for (int i = 0; i < argc; ++i) {
    const void* p = sqlite3_value_blob(argv[i]);
    const int n = sqlite3_value_bytes(argv[i]);
    if (p == nullptr || n == 0) continue;
    if (!s.merge_encoded({static_cast<const char*>(p), static_cast<size_t>(n)}).ok()) {
      sqlite3_result_error(ctx, "agentlearn_sketch_merge: corrupt sketch", -1);
      return;
    }
  }
  std::string out = s.encode();
  sqlite3_result_blob(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

// Steps `s` (bound) to its end, each row as an edge row to `fn`.
Status scan_rows(sqlite3* db, sqlite3_stmt* s, std::string_view what, const std::function<void(const EdgeRow&)>& fn) {
  EdgeRow row;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    store_codec::decode_edge_row(SqliteRow{s}, row);
    fn(row);
  }
  if (rc != SQLITE_DONE) return sqlite_status(db, rc, what);
  return Status::Ok();
}

// The one integer `sql` returns.
StatusOr<int64_t> read_int(Connection& conn, const char* sql, std::string_view what) {
  auto st = conn.stmt(sql);
  if (!st.ok()) return st.status();
  sqlite3_stmt* s = *st;
  StmtScope reset(s);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) return sqlite_status(conn.db.get(), rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, what);
  return static_cast<int64_t>(sqlite3_column_int64(s, 0));
}

// The executions one journal row names (?1, ?2: its rowid range), those the cells count.
const std::string& journaled_scan_sql() {
  static const std::string sql = std::string("SELECT ") + store_codec::kEdgeColumns +
                                 " FROM executions WHERE id BETWEEN ?1 AND ?2 AND out_of_range = 0";
  return sql;
}

}  // namespace

Status register_analytics_functions(sqlite3* db) {
  int rc = sqlite3_create_function_v2(db, "agentlearn_sketch_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                      nullptr, sketch_merge_fn, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(db, rc, "register agentlearn_sketch_merge");
  return Status::Ok();
}

// The exact sums add with a carry from the low 62 bits (ExactSum): every SET expression reads
// the row as it was, so the carry is computed from the old low part in both.
std::string upsert_cell_sql(std::string_view table) {
  return "INSERT INTO " + std::string(table) +
    " (level, bucket, scope, agent, ttype, executions, successes, anomalies, scored, "
    "cost_n, time_us_hi, time_us_lo, cost_nusd_hi, cost_nusd_lo, min_ts, max_ts, sketch) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT (level, bucket, scope, agent, ttype) DO UPDATE SET "
    "executions = executions + excluded.executions, successes = successes + excluded.successes, "
    "anomalies = anomalies + excluded.anomalies, scored = scored + excluded.scored, "
    "cost_n = cost_n + excluded.cost_n, "
    "time_us_hi = time_us_hi + excluded.time_us_hi + ((time_us_lo + excluded.time_us_lo) >> 62), "
    "time_us_lo = (time_us_lo + excluded.time_us_lo) & 4611686018427387903, "
    "cost_nusd_hi = cost_nusd_hi + excluded.cost_nusd_hi + ((cost_nusd_lo + excluded.cost_nusd_lo) >> 62), "
    "cost_nusd_lo = (cost_nusd_lo + excluded.cost_nusd_lo) & 4611686018427387903, "
    "min_ts = min(min_ts, excluded.min_ts), max_ts = max(max_ts, excluded.max_ts), "
    "sketch = agentlearn_sketch_merge(sketch, excluded.sketch)";
}

Status upsert_cells(sqlite3* db, sqlite3_stmt* s, const CellDeltas& deltas) {
  std::string sketch;
  for (const auto* kv : deltas.sorted()) {
    const auto& [k, d] = *kv;
    StmtScope scope(s, /*clear=*/false);
    sketch = d.sketch.encode();
    sqlite3_bind_int(s, 1, k.level);
    sqlite3_bind_int64(s, 2, k.bucket);
    sqlite3_bind_int(s, 3, static_cast<int>(k.scope));
    bind_text(s, 4, k.agent);
    bind_text(s, 5, k.ttype);
    sqlite3_bind_int64(s, 6, static_cast<sqlite3_int64>(d.tally.executions));
    sqlite3_bind_int64(s, 7, static_cast<sqlite3_int64>(d.tally.successes));
    sqlite3_bind_int64(s, 8, static_cast<sqlite3_int64>(d.tally.anomalies));
    sqlite3_bind_int64(s, 9, static_cast<sqlite3_int64>(d.tally.scored));
    sqlite3_bind_int64(s, 10, static_cast<sqlite3_int64>(d.tally.cost_n));
    sqlite3_bind_int64(s, 11, d.tally.time_us.hi());
    sqlite3_bind_int64(s, 12, d.tally.time_us.lo());
    sqlite3_bind_int64(s, 13, d.tally.cost_nusd.hi());
    sqlite3_bind_int64(s, 14, d.tally.cost_nusd.lo());
    sqlite3_bind_int64(s, 15, d.tally.min_ts);
    sqlite3_bind_int64(s, 16, d.tally.max_ts);
    sqlite3_bind_blob(s, 17, sketch.data(), static_cast<int>(sketch.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return sqlite_status(db, rc, "update analytics cells");
  }
  return Status::Ok();
}

// The runs the cells count with from <= timestamp_us < to (?1, ?2), as edge rows: what a
// range's partial buckets read, and what the backfill adds up.
const std::string& edge_scan_sql() {
  static const std::string sql = std::string("SELECT ") + store_codec::kEdgeColumns +
                                 " FROM executions WHERE timestamp_us >= ?1 AND timestamp_us < ?2 AND out_of_range = 0";
  return sql;
}

Status scan_edge_rows(sqlite3* db, sqlite3_stmt* s, int64_t from, int64_t to,
                      const std::function<void(const EdgeRow&)>& fn) {
  StmtScope scope(s);
  sqlite3_bind_int64(s, 1, from);
  sqlite3_bind_int64(s, 2, to);
  return scan_rows(db, s, "scan executions by time", fn);
}

Status backfill_cells(sqlite3* db) {
  const std::string keep = " AND out_of_range = 0";
  auto next = prepare(db, "SELECT min(timestamp_us) FROM executions WHERE timestamp_us >= ?1" + keep);
  if (!next.ok()) return next.status();
  auto scan = prepare(db, edge_scan_sql());
  if (!scan.ok()) return scan.status();
  auto upsert = prepare(db, upsert_cell_sql("analytics_cells"));  // migration 6's name
  if (!upsert.ok()) return upsert.status();
  BackfillSource source;
  source.first_at_or_after = [&](int64_t t) -> StatusOr<std::optional<int64_t>> {
    sqlite3_stmt* s = next->get();
    StmtScope scope(s);
    sqlite3_bind_int64(s, 1, t);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return sqlite_status(db, rc, "backfill: next run");
    if (sqlite3_column_type(s, 0) == SQLITE_NULL) return std::optional<int64_t>{};
    return std::optional<int64_t>{sqlite3_column_int64(s, 0)};
  };
  source.scan = [&](int64_t from, int64_t to, const std::function<void(const EdgeRow&)>& fn) {
    return scan_edge_rows(db, scan->get(), from, to, fn);
  };
  source.write = [&](const CellDeltas& deltas) { return upsert_cells(db, upsert->get(), deltas); };
  return agentlearn::backfill_cells(source);
}

}  // namespace sqlite_impl

namespace {

// The reads of one answer on one leased reader inside one read transaction.
class SqliteAnalyticsSnapshot final : public AnalyticsSnapshot {
 public:
  explicit SqliteAnalyticsSnapshot(Connection& conn) : conn_(conn) {}

  Status read_cells(Scope scope, std::span<const BucketRef> buckets, const std::optional<std::string>& agent,
                    const std::optional<std::string>& ttype, bool with_sketch,
                    const std::function<void(const CellRow&)>& fn) override {
    if (buckets.empty()) return Status::Ok();
    std::string sql = "SELECT agent, ttype, ";
    sql += kTallyColumns;
    sql += with_sketch ? ", sketch" : "";
    sql += std::string(" FROM ") + kCellsTable + " WHERE level = ?1 AND bucket = ?2 AND scope = ?3";
    if (agent) sql += " AND agent = ?4";
    if (ttype) sql += " AND ttype = ?5";
    auto st = conn_.stmt(sql);
    if (!st.ok()) return st.status();
    sqlite3_stmt* s = *st;
    CellRow cell;
    for (const BucketRef& b : buckets) {
      StmtScope reset(s, /*clear=*/false);
      sqlite3_bind_int(s, 1, b.level);
      sqlite3_bind_int64(s, 2, b.bucket);
      sqlite3_bind_int(s, 3, static_cast<int>(scope));
      if (agent) bind_text(s, 4, *agent);
      if (ttype) bind_text(s, 5, *ttype);
      int rc;
      cell.level = b.level;
      cell.bucket = b.bucket;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        SqliteRow row{s};
        cell.agent = row.text(0);
        cell.ttype = row.text(1);
        store_codec::decode_tally(row, 2, cell.tally);
        if (with_sketch) cell.sketch = row.blob(2 + kTallyColumnCount);
        fn(cell);
      }
      if (rc != SQLITE_DONE) return sqlite_status(conn_.db.get(), rc, "read analytics cells");
    }
    return Status::Ok();
  }

  Status scan_edge(int64_t since_us, int64_t until_us,
                   const std::function<void(const EdgeRow&)>& fn) override {
    auto st = conn_.stmt(edge_scan_sql());
    if (!st.ok()) return st.status();
    return scan_edge_rows(conn_.db.get(), *st, since_us, until_us, fn);
  }

  Status scan_journal(const std::function<void(const JournalKey&)>& fn) override {
    auto st = conn_.stmt("SELECT id, first_id, last_id FROM analytics_journal");
    if (!st.ok()) return st.status();
    sqlite3_stmt* s = *st;
    StmtScope reset(s);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      fn(JournalKey{sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)});
    }
    if (rc != SQLITE_DONE) return sqlite_status(conn_.db.get(), rc, "read the analytics journal");
    return Status::Ok();
  }

  Status scan_journaled(std::span<const JournalKey> rows,
                        const std::function<void(const JournalKey&, const EdgeRow&)>& fn) override {
    auto st = conn_.stmt(journaled_scan_sql());
    if (!st.ok()) return st.status();
    for (const JournalKey& k : rows) {
      sqlite3_stmt* s = *st;
      StmtScope reset(s);
      sqlite3_bind_int64(s, 1, k.first);
      sqlite3_bind_int64(s, 2, k.last);
      Status r = scan_rows(conn_.db.get(), s, "scan journaled executions", [&](const EdgeRow& e) { fn(k, e); });
      if (!r.ok()) return r;
    }
    return Status::Ok();
  }

  Status scan_flagged(int64_t since_us, int64_t until_us, const std::optional<std::string>& agent,
                      const std::optional<std::string>& task_type, size_t limit,
                      const std::function<void(const StoredRow&)>& fn) override {
    // `anomaly = 1` is the partial index's condition (migration 5): it walks only flagged rows,
    // newest timestamp first.
    auto st = conn_.stmt(std::string("SELECT ") + store_codec::kStoredRowColumns +
                         " FROM executions WHERE anomaly = 1 AND timestamp_us >= ?1 AND timestamp_us < ?2"
                         " AND (?3 IS NULL OR agent_id = ?3) AND (?4 IS NULL OR task_type = ?4)"
                         " ORDER BY timestamp_us DESC, id DESC LIMIT ?5");
    if (!st.ok()) return st.status();
    sqlite3_stmt* s = *st;
    StmtScope reset(s);
    sqlite3_bind_int64(s, 1, since_us);
    sqlite3_bind_int64(s, 2, until_us);
    if (agent) sqlite3_bind_text(s, 3, agent->data(), static_cast<int>(agent->size()), SQLITE_STATIC);
    if (task_type)
      sqlite3_bind_text(s, 4, task_type->data(), static_cast<int>(task_type->size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, static_cast<sqlite3_int64>(limit));
    StoredRow row;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      store_codec::decode_stored_row(SqliteRow{s}, row);
      fn(row);
    }
    if (rc != SQLITE_DONE) return sqlite_status(conn_.db.get(), rc, "scan flagged executions");
    return Status::Ok();
  }

  StatusOr<int64_t> rollup_epoch() override { return read_int(conn_, rollup_steps::kEpochSql, "read the rollup epoch"); }

  StatusOr<std::optional<std::pair<int64_t, int64_t>>> timestamp_bounds() override {
    // Two subqueries: SQLite reads one end of the index for a lone min() or max(), but scans
    // the whole index for both in one SELECT (measured: 100 ms at 1,000,000 executions).
    auto st = conn_.stmt("SELECT (SELECT min(timestamp_us) FROM executions), (SELECT max(timestamp_us) FROM executions)");
    if (!st.ok()) return st.status();
    sqlite3_stmt* s = *st;
    StmtScope reset(s);
    std::optional<std::pair<int64_t, int64_t>> out;
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return sqlite_status(conn_.db.get(), rc, "timestamp bounds");
    if (sqlite3_column_type(s, 0) != SQLITE_NULL)
      out.emplace(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
    return out;
  }

 private:
  Connection& conn_;
};

}  // namespace

namespace {

// Analytics reads: one deferred read transaction (one WAL snapshot) per answer.
class SqliteAnalytics final : public AnalyticsStore, OverPool<SqlitePool> {
 public:
  using OverPool::OverPool;

  StatusOr<RollupRound> roll_up(const RollupOptions& options) override {
    // Another process's round can take the same rows between this one's fold and its write
    // (two leaders at once): then this one folds again from what is left.
    for (int attempt = 0; attempt < 8; ++attempt) {
      bool lost = false;
      auto round = try_round(options, lost);
      if (!lost) return round;
    }
    return Status::Unavailable("rollup rounds of another process keep taking the journal rows this one folded");
  }

  StatusOr<RollupRound> try_round(const RollupOptions& options, bool& lost) {
    // 1. Fold without the write lock: the oldest journal rows and their executions, read in
    //    one snapshot, added up in memory (the round's CPU time, tens of milliseconds for a
    //    second of busy ingest). Journal rows never change once committed.
    RollupRound round;
    std::vector<JournalRow> taken;
    CellDeltas deltas;
    if (Status st = fold_oldest(options.max_executions, round, taken, deltas); !st.ok()) return st;
    if (taken.empty()) return RollupRound{};
    // 2. Write under the lock (IMMEDIATE), only what is left: each journal row taken is
    //    deleted (found by its execution range, which is never reused) - if one is gone,
    //    another round folded it and this one gives up, changing nothing - then the cells
    //    upserted and the epoch bumped. The group writer waits for this part only.
    Status st = pool_.write([&](Connection& conn) -> Status {
      sqlite3* db = conn.db.get();
      for (const JournalRow& r : taken) {
        Status d = conn.run("DELETE FROM analytics_journal WHERE id = ?1 AND first_id = ?2 AND last_id = ?3",
                            "consume the analytics journal", [&](sqlite3_stmt* s) {
                              sqlite3_bind_int64(s, 1, r.id);
                              sqlite3_bind_int64(s, 2, r.first);
                              sqlite3_bind_int64(s, 3, r.last);
                            });
        if (!d.ok()) return d;
        if (sqlite3_changes(db) != 1) {
          lost = true;
          return Status::Conflict("another rollup round took these journal rows");
        }
      }
      auto upsert = conn.stmt(upsert_cell_sql(kCellsTable));
      if (!upsert.ok()) return upsert.status();
      if (Status u = upsert_cells(db, *upsert, deltas); !u.ok()) return u;
      return rollup_steps::finish_round(
          [&](const char* sql) { return conn.run(sql, "finish a rollup round", [](sqlite3_stmt*) {}); },
          [&](const char* sql) { return read_int(conn, sql, "read the rollup epoch"); }, deltas, options, round);
    });
    if (lost) return RollupRound{};  // rolled back: nothing of this round counted
    if (!st.ok()) return st;
    return round;
  }

  StatusOr<bool> lead_rollup() override { return true; }

  StatusOr<RollupBacklog> backlog() override {
    RollupBacklog out;
    static const std::string sql = rollup_steps::backlog_sql("last_id - first_id + 1");
    Status st = pool_.query(
        sql, "read the analytics journal's backlog", [](sqlite3_stmt*) {},
        [&](sqlite3_stmt* s) {
          out.journal_rows = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
          out.executions = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
          if (sqlite3_column_type(s, 2) != SQLITE_NULL) out.oldest_us = sqlite3_column_int64(s, 2);
        });
    if (!st.ok()) return st;
    return out;
  }

  Status read_analytics(const std::function<Status(AnalyticsSnapshot&)>& fn) override {
    auto lease = pool_.acquire_reader();
    if (!lease.ok()) return lease.status();
    sqlite3* db = (*lease)->db.get();
    // DEFERRED: the read transaction (and its WAL snapshot) starts at the first statement and
    // holds for every later one, so the answer's cells and edge rows are one state.
    if (Status st = exec(db, "BEGIN", "begin analytics read"); !st.ok()) return st;
    TxnGuard guard(db);  // rolls the read transaction back on every path
    SqliteAnalyticsSnapshot snapshot(**lease);
    return fn(snapshot);
  }

 private:
  struct JournalRow {
    int64_t id, first, last;
  };

  // The oldest journal rows up to `max_executions` executions (at least one row), and their
  // executions added to `deltas`, in one read transaction on a pooled reader.
  Status fold_oldest(size_t max_executions, RollupRound& round, std::vector<JournalRow>& taken,
                     CellDeltas& deltas) {
    auto lease = pool_.acquire_reader();
    if (!lease.ok()) return lease.status();
    Connection& conn = **lease;
    sqlite3* db = conn.db.get();
    if (Status st = exec(db, "BEGIN", "begin a rollup fold"); !st.ok()) return st;
    TxnGuard guard(db);  // a read transaction: rolled back at the end
    auto take = conn.stmt("SELECT id, first_id, last_id FROM analytics_journal ORDER BY id");
    if (!take.ok()) return take.status();
    {
      sqlite3_stmt* s = *take;
      StmtScope scope(s);
      int rc = SQLITE_DONE;
      while (round.executions < max_executions && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        taken.push_back({sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)});
        round.executions += static_cast<uint64_t>(taken.back().last - taken.back().first + 1);
        ++round.journal_rows;
      }
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_status(db, rc, "read the analytics journal");
    }
    auto scan = conn.stmt(journaled_scan_sql());
    if (!scan.ok()) return scan.status();
    for (const JournalRow& r : taken) {
      sqlite3_stmt* s = *scan;
      StmtScope scope(s);
      sqlite3_bind_int64(s, 1, r.first);
      sqlite3_bind_int64(s, 2, r.last);
      if (Status st = scan_rows(db, s, "read journaled executions", [&](const EdgeRow& e) { add_run(deltas, e); });
          !st.ok()) {
        return st;
      }
    }
    round.cells = deltas.cells().size();
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<AnalyticsStore> sqlite_impl::sqlite_analytics(SqlitePool& pool) { return std::make_unique<SqliteAnalytics>(pool); }

}  // namespace agentlearn

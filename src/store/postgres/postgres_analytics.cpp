// PostgreSQL: the analytics cells and their journal. The group writer journals each group's
// ids (postgres_writer.cpp), taking no lock. A rollup round, under an advisory transaction
// lock that only rounds take, deletes journal rows (DELETE ... RETURNING: it folds only the
// rows its own delete removed), reads their executions, merges them into the stored cells in
// memory and writes each cell back with INSERT ... ON CONFLICT (upsert_cells). Reads fetch
// every bucket of a query in one statement, every statement of one answer in one
// REPEATABLE READ transaction.
#include <charconv>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/cell_backfill.hpp"
#include "store/over_pool.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/postgres/postgres_text_format.hpp"
#include "store/rollup_steps.hpp"
#include "store/row_codec.hpp"

namespace agentlearn {

using namespace pg_impl;
using analytics::BucketRef;
using analytics::CellDelta;
using analytics::CellDeltas;
using analytics::CellKey;
using analytics::Scope;

namespace pg_impl {

namespace {

// Serialises the cell updates on the database ("agentlea" + 1): every rollup round (and
// migration 6's backfill) holds it from its first read of the journal to its commit; the
// group writers and the readers never take it.
constexpr const char* kCellLockSql = "SELECT pg_advisory_xact_lock(7018141399158171234)";

// The cells table (migration 7 renamed it: docs/analytics.md, "Upgrades").
constexpr const char* kCellsTable = "rollup_cells";

std::string existing_cells_sql(std::string_view table) {
  return "SELECT k.ord, c.executions, c.successes, c.anomalies, c.scored, c.cost_n, c.time_us_hi, c.time_us_lo, "
         "c.cost_nusd_hi, c.cost_nusd_lo, c.min_ts, c.max_ts, encode(c.sketch, 'hex') "
         "FROM unnest($1::int[], $2::int8[], $3::int[], $4::text[], $5::text[]) WITH ORDINALITY "
         "  AS k(level, bucket, scope, agent, ttype, ord) "
         "JOIN " + std::string(table) + " c ON c.level = k.level AND c.bucket = k.bucket AND c.scope = k.scope "
         "  AND c.agent = k.agent AND c.ttype = k.ttype";
}

// The stored cells are merged in memory (under the lock), so the upsert writes whole values.
std::string upsert_cells_sql(std::string_view table) {
  return "INSERT INTO " + std::string(table) + " (level, bucket, scope, agent, ttype, executions, successes, anomalies, scored, "
    "  cost_n, time_us_hi, time_us_lo, cost_nusd_hi, cost_nusd_lo, min_ts, max_ts, sketch) "
    "SELECT level, bucket, scope, agent, ttype, executions, successes, anomalies, scored, cost_n, time_us_hi, "
    "  time_us_lo, cost_nusd_hi, cost_nusd_lo, min_ts, max_ts, decode(sketch, 'hex') "
    "FROM unnest($1::int[], $2::int8[], $3::int[], $4::text[], $5::text[], $6::int8[], $7::int8[], $8::int8[], "
    "  $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[], "
    "  $17::text[]) "
    "  AS u(level, bucket, scope, agent, ttype, executions, successes, anomalies, scored, cost_n, time_us_hi, "
    "       time_us_lo, cost_nusd_hi, cost_nusd_lo, min_ts, max_ts, sketch) "
    "ON CONFLICT (level, bucket, scope, agent, ttype) DO UPDATE SET "
    "executions = excluded.executions, successes = excluded.successes, anomalies = excluded.anomalies, "
    "scored = excluded.scored, cost_n = excluded.cost_n, time_us_hi = excluded.time_us_hi, "
    "time_us_lo = excluded.time_us_lo, cost_nusd_hi = excluded.cost_nusd_hi, cost_nusd_lo = excluded.cost_nusd_lo, "
    "min_ts = excluded.min_ts, max_ts = excluded.max_ts, sketch = excluded.sketch";
}

// Cells per statement: bounds the array literals (a 20,000-record group touches up to
// 480,000 cells).
constexpr size_t kChunk = 4096;

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `hex` as bytes into `out`; false when it is not hex.
bool decode_hex(std::string_view hex, std::string& out) {
  out.clear();
  if (hex.size() % 2 != 0) return false;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int a = hex_digit(hex[i]), b = hex_digit(hex[i + 1]);
    if (a < 0 || b < 0) return false;
    out += static_cast<char>(a * 16 + b);
  }
  return true;
}

void read_tally(const PGresult* r, int i, int first, analytics::CellTally& t) {
  store_codec::decode_tally(PgRow{r, i}, first, t);
}

Status upsert_chunk(PGconn* c, std::span<const std::pair<const CellKey, CellDelta>* const> cells,
                    std::string_view table) {
  ArrayBuilder keys[5];
  for (auto& k : keys) k.clear();
  for (const auto* kv : cells) {
    keys[0].int64(kv->first.level);
    keys[1].int64(kv->first.bucket);
    keys[2].int64(static_cast<int>(kv->first.scope));
    keys[3].text(kv->first.agent);
    keys[4].text(kv->first.ttype);
  }
  const char* key_params[5];
  for (int i = 0; i < 5; ++i) key_params[i] = keys[i].finish();
  // What is stored already, merged into a copy of the deltas.
  std::vector<CellDelta> merged(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) merged[i] = cells[i]->second;
  {
    const std::string sql = existing_cells_sql(table);
    Result r(PQexecParams(c, sql.c_str(), 5, nullptr, key_params, nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "read analytics cells");
    std::string bytes;
    for (int i = 0, n = PQntuples(r.get()); i < n; ++i) {
      const auto at = static_cast<size_t>(value_int(r.get(), i, 0) - 1);
      if (at >= merged.size()) return Status::Internal("postgresql: analytics cell out of range");
      analytics::CellTally t;
      read_tally(r.get(), i, 1, t);
      merged[at].tally.merge(t);
      if (!decode_hex(value_view(r.get(), i, 1 + store_codec::kTallyColumnCount), bytes)) {
        return Status::Internal("postgresql: sketch is not hex");
      }
      if (Status st = merged[at].sketch.merge_encoded(bytes); !st.ok()) return st;
    }
  }
  constexpr int kVals = store_codec::kTallyColumnCount;
  ArrayBuilder vals[kVals];
  for (auto& v : vals) v.clear();
  std::string sketches = "{";
  for (size_t i = 0; i < cells.size(); ++i) {
    const auto& t = merged[i].tally;
    vals[0].int64(static_cast<int64_t>(t.executions));
    vals[1].int64(static_cast<int64_t>(t.successes));
    vals[2].int64(static_cast<int64_t>(t.anomalies));
    vals[3].int64(static_cast<int64_t>(t.scored));
    vals[4].int64(static_cast<int64_t>(t.cost_n));
    vals[5].int64(t.time_us.hi());
    vals[6].int64(t.time_us.lo());
    vals[7].int64(t.cost_nusd.hi());
    vals[8].int64(t.cost_nusd.lo());
    vals[9].int64(t.min_ts);
    vals[10].int64(t.max_ts);
    if (i > 0) sketches += ',';
    append_hex(sketches, merged[i].sketch.encode());  // hex needs no quoting
  }
  sketches += '}';
  const char* params[5 + kVals + 1];
  for (int i = 0; i < 5; ++i) params[i] = key_params[i];
  for (int i = 0; i < kVals; ++i) params[5 + i] = vals[i].finish();
  params[5 + kVals] = sketches.c_str();
  const std::string sql = upsert_cells_sql(table);
  Result r(PQexecParams(c, sql.c_str(), 5 + kVals + 1, nullptr, params, nullptr, nullptr, 0));
  if (!result_ok(r.get())) return pg_status(c, r.get(), "write analytics cells");
  return Status::Ok();
}

}  // namespace

Status upsert_cells(PGconn* c, const CellDeltas& deltas, std::string_view table) {
  if (deltas.empty()) return Status::Ok();
  if (Status st = exec_script(c, kCellLockSql, "lock analytics cells"); !st.ok()) return st;
  auto sorted = deltas.sorted();
  for (size_t at = 0; at < sorted.size(); at += kChunk) {
    const size_t n = std::min(kChunk, sorted.size() - at);
    if (Status st = upsert_chunk(c, std::span(sorted).subspan(at, n), table); !st.ok()) return st;
  }
  return Status::Ok();
}

// The runs the cells count with from <= timestamp_us < to, as edge rows: what a range's
// partial buckets read, and what the backfill adds up.
Status scan_edge_rows(PGconn* c, int64_t from, int64_t to, const std::function<void(const EdgeRow&)>& fn) {
  const std::string f = std::to_string(from), t = std::to_string(to);
  const char* params[] = {f.c_str(), t.c_str()};
  static const std::string sql = std::string("SELECT ") + store_codec::kEdgeColumns +
                                 " FROM executions WHERE timestamp_us >= $1::int8 AND timestamp_us < $2::int8"
                                 " AND NOT out_of_range";
  Result r(PQexecParams(c, sql.c_str(), 2, nullptr, params, nullptr, nullptr, 0));
  if (!result_ok(r.get())) return pg_status(c, r.get(), "scan executions by time");
  EdgeRow row;
  for (int i = 0, n = PQntuples(r.get()); i < n; ++i) {
    store_codec::decode_edge_row(PgRow{r.get(), i}, row);
    fn(row);
  }
  return Status::Ok();
}

Status backfill_cells(PGconn* c) {
  const std::string keep = " AND NOT out_of_range";
  const std::string next_sql = "SELECT min(timestamp_us) FROM executions WHERE timestamp_us >= $1::int8" + keep;
  BackfillSource source;
  source.first_at_or_after = [&](int64_t t) -> StatusOr<std::optional<int64_t>> {
    const std::string at = std::to_string(t);
    const char* params[] = {at.c_str()};
    Result r(PQexecParams(c, next_sql.c_str(), 1, nullptr, params, nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "backfill: next run");
    if (is_null(r.get(), 0, 0)) return std::optional<int64_t>{};
    return std::optional<int64_t>{value_int(r.get(), 0, 0)};
  };
  source.scan = [&](int64_t from, int64_t to, const std::function<void(const EdgeRow&)>& fn) {
    return scan_edge_rows(c, from, to, fn);
  };
  source.write = [&](const CellDeltas& deltas) { return upsert_cells(c, deltas, "analytics_cells"); };  // migration 6's name
  return agentlearn::backfill_cells(source);
}

}  // namespace pg_impl

namespace {

// Runs one statement with text parameters (nullptr is NULL) on `c`, each row to `row`.
Status run_query(PGconn* c, const char* sql, std::initializer_list<const char*> params, std::string_view what,
                 const std::function<void(const PGresult*, int)>& row) {
  Result r(
      PQexecParams(c, sql, static_cast<int>(params.size()), nullptr, params.begin(), nullptr, nullptr, 0));
  if (!result_ok(r.get())) return pg_status(c, r.get(), what);
  for (int i = 0, n = PQntuples(r.get()); i < n; ++i) row(r.get(), i);
  return Status::Ok();
}

// The counted columns of the execution whose id is `id`, joined laterally: one primary-key
// probe per id whatever the table's size (LIMIT 1 keeps the planner from flattening it into
// a join that scans the table: postgres_writer.cpp's lookup met that).
std::string by_primary_key(const std::string& id) {
  return std::string("CROSS JOIN LATERAL (SELECT ") + store_codec::kEdgeColumns + " FROM executions WHERE id = " +
         id + " AND NOT out_of_range LIMIT 1) AS e";
}

// The one integer `sql` returns.
StatusOr<int64_t> read_int(PGconn* c, const char* sql, std::string_view what) {
  std::optional<int64_t> out;
  Status st = run_query(c, sql, {}, what, [&](const PGresult* r, int i) { out = value_int(r, i, 0); });
  if (!st.ok()) return st;
  if (!out) return Status::Internal(std::string(what) + ": no row");
  return *out;
}

// The reads of one answer on one leased connection inside one read-only transaction.
// What every answer reads first, in the statement that begins its transaction (one round
// trip instead of four: on two cores shared with the server, each costs more than the query).
struct SnapshotPrelude {
  std::optional<std::pair<int64_t, int64_t>> bounds;
  int64_t epoch = 0;
  std::vector<int64_t> journal;  // the journal rows' ids
};

constexpr const char* kBeginWithPrelude =
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
    "SELECT (SELECT min(timestamp_us) FROM executions), (SELECT max(timestamp_us) FROM executions), "
    "(SELECT epoch FROM analytics_rollup), "
    "(SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM analytics_journal)";

StatusOr<SnapshotPrelude> read_prelude(const PGresult* r) {
  SnapshotPrelude p;
  if (PQntuples(r) != 1 || PQnfields(r) != 4 || is_null(r, 0, 2)) {
    return Status::Internal("postgresql: the analytics read's first statement returned no row");
  }
  if (!is_null(r, 0, 0)) p.bounds.emplace(value_int(r, 0, 0), value_int(r, 0, 1));
  p.epoch = value_int(r, 0, 2);
  std::string_view ids = value_view(r, 0, 3);
  while (!ids.empty()) {
    const size_t comma = ids.find(',');
    const std::string_view one = ids.substr(0, comma);
    int64_t id = 0;
    if (std::from_chars(one.data(), one.data() + one.size(), id).ec != std::errc()) {
      return Status::Internal("postgresql: a journal id is not a number");
    }
    p.journal.push_back(id);
    ids = comma == std::string_view::npos ? std::string_view() : ids.substr(comma + 1);
  }
  return p;
}

class PostgresAnalyticsSnapshot final : public AnalyticsSnapshot {
 public:
  PostgresAnalyticsSnapshot(PGconn* c, SnapshotPrelude prelude) : c_(c), prelude_(std::move(prelude)) {}

  Status read_cells(Scope scope, std::span<const BucketRef> buckets, const std::optional<std::string>& agent,
                    const std::optional<std::string>& ttype, bool with_sketch,
                    const std::function<void(const CellRow&)>& fn) override {
    if (buckets.empty()) return Status::Ok();
    if ((agent && has_nul(*agent)) || (ttype && has_nul(*ttype)))
      return Status::Ok();  // nothing stored matches
    ArrayBuilder levels, ids;
    levels.clear();
    ids.clear();
    for (const BucketRef& b : buckets) {
      levels.int64(b.level);
      ids.int64(b.bucket);
    }
    std::string scope_text = std::to_string(static_cast<int>(scope));
    CellRow cell;
    std::string bytes;
    Status decode_error;
    Status st = run_query(
        c_,
        "SELECT c.level, c.bucket, c.agent, c.ttype, c.executions, c.successes, c.anomalies, c.scored, c.cost_n, "
        "c.time_us_hi, c.time_us_lo, c.cost_nusd_hi, c.cost_nusd_lo, c.min_ts, c.max_ts, "
        "CASE WHEN $6::bool THEN encode(c.sketch, 'hex') ELSE '' END "
        "FROM unnest($1::int[], $2::int8[]) AS b(level, bucket) "
        "JOIN rollup_cells c ON c.level = b.level AND c.bucket = b.bucket AND c.scope = $3::int "
        "WHERE ($4::text IS NULL OR c.agent = $4::text) AND ($5::text IS NULL OR c.ttype = $5::text)",
        {levels.finish(), ids.finish(), scope_text.c_str(), agent ? agent->c_str() : nullptr,
         ttype ? ttype->c_str() : nullptr, with_sketch ? "true" : "false"},
        "read analytics cells", [&](const PGresult* r, int i) {
          if (!decode_error.ok()) return;
          cell.level = static_cast<int>(value_int(r, i, 0));
          cell.bucket = value_int(r, i, 1);
          cell.agent = value_view(r, i, 2);
          cell.ttype = value_view(r, i, 3);
          read_tally(r, i, 4, cell.tally);
          if (!decode_hex(value_view(r, i, 4 + store_codec::kTallyColumnCount), bytes)) {
            decode_error = Status::Internal("postgresql: sketch is not hex");
            return;
          }
          cell.sketch = bytes;
          fn(cell);
        });
    if (!st.ok()) return st;
    return decode_error;
  }

  Status scan_edge(int64_t since_us, int64_t until_us,
                   const std::function<void(const EdgeRow&)>& fn) override {
    return scan_edge_rows(c_, since_us, until_us, fn);
  }

  StatusOr<int64_t> rollup_epoch() override { return prelude_.epoch; }

  Status scan_journal(const std::function<void(const JournalKey&)>& fn) override {
    for (int64_t id : prelude_.journal) fn(JournalKey{id, 0, 0});
    return Status::Ok();
  }

  Status scan_journaled(std::span<const JournalKey> rows,
                        const std::function<void(const JournalKey&, const EdgeRow&)>& fn) override {
    if (rows.empty()) return Status::Ok();
    static const std::string sql = std::string("SELECT ") + store_codec::kEdgeColumns +
                                   ", j.id FROM analytics_journal j CROSS JOIN LATERAL unnest(j.ids) AS u(id) " +
                                   by_primary_key("u.id") + " WHERE j.id = ANY($1::int8[])";
    ArrayBuilder ids;
    ids.clear();
    for (const JournalKey& k : rows) ids.int64(k.id);
    EdgeRow row;
    return run_query(c_, sql.c_str(), {ids.finish()}, "scan journaled executions", [&](const PGresult* r, int i) {
      store_codec::decode_edge_row(PgRow{r, i}, row);
      fn(JournalKey{value_int(r, i, store_codec::kEdgeColumnCount), 0, 0}, row);
    });
  }

  Status scan_flagged(int64_t since_us, int64_t until_us, const std::optional<std::string>& agent,
                      const std::optional<std::string>& task_type, size_t limit,
                      const std::function<void(const StoredRow&)>& fn) override {
    // `anomaly` is the partial index's condition (migration 5): newest timestamp first.
    static const std::string sql =
        std::string("SELECT ") + store_codec::kStoredRowColumns +
        " FROM executions WHERE anomaly AND timestamp_us >= $1::int8 AND timestamp_us < "
        "$2::int8 AND ($3::text IS NULL OR agent_id = $3::text) AND ($4::text IS NULL OR "
        "task_type = $4::text) ORDER BY timestamp_us DESC, id DESC LIMIT $5::int8";
    const std::string from = std::to_string(since_us), to = std::to_string(until_us),
                      lim = std::to_string(limit);
    StoredRow row;
    return run_query(c_, sql.c_str(),
                     {from.c_str(), to.c_str(), agent ? agent->c_str() : nullptr,
                      task_type ? task_type->c_str() : nullptr, lim.c_str()},
                     "scan flagged executions", [&](const PGresult* r, int i) {
                       store_codec::decode_stored_row(PgRow{r, i}, row);
                       fn(row);
                     });
  }

  StatusOr<std::optional<std::pair<int64_t, int64_t>>> timestamp_bounds() override { return prelude_.bounds; }

 private:
  PGconn* c_;
  SnapshotPrelude prelude_;
};

}  // namespace

namespace {

// The rollup leader's session ("agentlea" + 3 is its lock): ended by the server 10 s after
// its last heartbeat, or once TCP keepalives find its peer gone (5 s idle, then 3 probes 2 s
// apart).
constexpr int kLeadPingMs = 3000;
constexpr const char* kLeadKeepalivesSql =
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3";

// Analytics reads: one REPEATABLE READ, READ ONLY transaction per answer; rollup rounds; the
// rollup leader's lock.
class PostgresAnalytics final : public AnalyticsStore, OverPool<PostgresPool> {
 public:
  using OverPool::OverPool;

  StatusOr<RollupRound> roll_up(const RollupOptions& options) override {
    RollupRound round;
    Status st = pool_.write_txn([&](Connection& conn) -> Status {
      round = {};
      PGconn* c = conn.get();
      // Rounds take turns from here to the commit: a second round (another replica, or a
      // leader whose lock connection dropped mid-round) then deletes only what this one left.
      // A round of a process that stops mid-way (SIGSTOP) would hold the lock for ever: the
      // server ends a transaction left idle for 10 s, and the round rolls back whole.
      if (!conn.pglite()) {
        if (Status t = exec_script(c, "SET LOCAL idle_in_transaction_session_timeout = '10s'", "round timeout");
            !t.ok()) {
          return t;
        }
      }
      if (Status l = exec_script(c, kCellLockSql, "lock the analytics cells"); !l.ok()) return l;
      // The oldest journal rows up to max_executions (at least one), deleted; their ids come
      // back as one array literal of arrays' elements.
      const std::string limit = std::to_string(std::max<size_t>(options.max_executions, 1));
      std::string ids = "{";
      Status taken = run_query(
          c,
          "DELETE FROM analytics_journal WHERE id IN (SELECT id FROM (SELECT id, sum(cardinality(ids)) "
          "OVER (ORDER BY id) - cardinality(ids) AS before FROM analytics_journal ORDER BY id LIMIT $1::int8) w "
          "WHERE before < $1::int8) RETURNING array_to_string(ids, ','), cardinality(ids)",
          {limit.c_str()}, "consume the analytics journal", [&](const PGresult* r, int i) {
            ++round.journal_rows;
            round.executions += static_cast<uint64_t>(value_int(r, i, 1));
            if (is_null(r, i, 0) || value_view(r, i, 0).empty()) return;
            if (ids.size() > 1) ids += ',';
            ids += value_view(r, i, 0);
          });
      if (!taken.ok()) return taken;
      if (round.journal_rows == 0) return Status::Ok();
      ids += '}';
      CellDeltas deltas;
      static const std::string scan = std::string("SELECT ") + store_codec::kEdgeColumns +
                                      " FROM unnest($1::int8[]) AS u(id) " + by_primary_key("u.id");
      EdgeRow row;
      Status read = run_query(c, scan.c_str(), {ids.c_str()}, "read journaled executions",
                              [&](const PGresult* r, int i) {
                                store_codec::decode_edge_row(PgRow{r, i}, row);
                                add_run(deltas, row);
                              });
      if (!read.ok()) return read;
      round.cells = deltas.cells().size();
      if (Status u = upsert_cells(c, deltas, kCellsTable); !u.ok()) return u;
      return rollup_steps::finish_round([&](const char* sql) { return exec_script(c, sql, "finish a rollup round"); },
                                        [&](const char* sql) { return read_int(c, sql, "read the rollup epoch"); },
                                        deltas, options, round);
    });
    if (!st.ok()) return st;
    return round;
  }

  StatusOr<bool> lead_rollup() override {
    std::lock_guard lock(lead_mu_);
    if (!lead_) lead_ = pool_.new_connection();
    if (leading_) {
      bool timed_out = false;
      if (lead_->ping(kLeadPingMs, timed_out).ok()) return true;
      leading_ = false;  // the session, and the lock with it, is gone (or unknown)
      lead_->drop();
    }
    if (Status st = lead_->ensure(); !st.ok()) return st;
    if (lead_->pglite()) return leading_ = true;
    PGconn* c = lead_->get();
    // This session's settings make the server end it, and free the lock, when the process
    // holding it stops: idle_session_timeout when it stops sending its heartbeat (SIGSTOP, a
    // hung process: its kernel still answers TCP), keepalives when its host or network goes.
    if (Status st = exec_script(c, kLeadKeepalivesSql, "rollup leader: keepalives"); !st.ok()) {
      lead_->drop();
      return st;
    }
    // PostgreSQL 14 and later; before, a stopped leader keeps the lock until it resumes or
    // dies (docs/analytics.md says so).
    if (PQserverVersion(c) >= 140000) {
      if (Status st = exec_script(c, "SET idle_session_timeout = '10s'", "rollup leader: idle timeout"); !st.ok()) {
        lead_->drop();
        return st;
      }
    }
    Result r(PQexec(c, "SELECT pg_try_advisory_lock(7018141399158171235)"));
    if (!result_ok(r.get())) {
      Status st = pg_status(c, r.get(), "rollup leader: lock");
      lead_->drop();
      return st;
    }
    leading_ = value_view(r.get(), 0, 0) == "t";
    return leading_;
  }

  StatusOr<RollupBacklog> backlog() override {
    RollupBacklog out;
    static const std::string sql = rollup_steps::backlog_sql("cardinality(ids)");
    Status st = pool_.query(
        sql.c_str(), {}, "read the analytics journal's backlog", [&](const PGresult* r, int i) {
          out.journal_rows = static_cast<uint64_t>(value_int(r, i, 0));
          out.executions = static_cast<uint64_t>(value_int(r, i, 1));
          if (!is_null(r, i, 2)) out.oldest_us = value_int(r, i, 2);
        });
    if (!st.ok()) return st;
    return out;
  }

  Status read_analytics(const std::function<Status(AnalyticsSnapshot&)>& fn) override {
    return pool_.with_read_retry([&](Connection& conn, bool& delivered) -> Status {
      PGconn* c = conn.get();
      // REPEATABLE READ: one snapshot for every statement, so cells and edge rows agree; it is
      // taken at the prelude, the transaction's first query.
      Result r(PQexec(c, kBeginWithPrelude));
      ReadTxn txn(c);  // rolls back on every path (a no-op when BEGIN itself failed)
      if (!result_ok(r.get())) return pg_status(c, r.get(), "begin analytics read");
      auto prelude = read_prelude(r.get());
      if (!prelude.ok()) return prelude.status();
      delivered = true;  // fn may have seen rows: never run it twice
      PostgresAnalyticsSnapshot snapshot(c, std::move(*prelude));
      return fn(snapshot);
    });
  }

 private:
  std::mutex lead_mu_;
  std::unique_ptr<Connection> lead_;  // holds the leader's lock while leading_
  bool leading_ = false;
};

}  // namespace

std::unique_ptr<AnalyticsStore> pg_impl::postgres_analytics(PostgresPool& pool) { return std::make_unique<PostgresAnalytics>(pool); }

}  // namespace agentlearn

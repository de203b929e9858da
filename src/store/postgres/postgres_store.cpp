#include "store/postgres/postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <random>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace agentlearn {
namespace {

// Numbered migrations, applied in order, each in its own transaction under an advisory lock
// and recorded in schema_migrations. Append new ones; never edit one that has shipped.
struct Migration {
  int version;
  const char* sql;  // run as one script; nullptr: `apply` decides what to run
  Status (*apply)(PGconn*) = nullptr;
};

Status create_embeddings(PGconn* c);  // migration 3, defined below

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
-- One secondary index on purpose: every index is pages written in each commit, and an index
-- led by agent_id or task_type scatters a group's rows over as many leaf pages as there are
-- agents or types (measured: 1.4 ms commits of 16 rows with three indexes). Analytics scan
-- by time; per-agent questions are answered from aggregates, not from this table.
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
};

// Serialises migrate() across processes and replicas ("agentlea" in ASCII).
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_xact_lock(7018141399158171233)";

// The columns of a whole row, in the order read_stored_row() expects.
constexpr const char* kRowColumns =
    "id, execution_id, agent_id, task_id, task_description, task_type, execution_time, "
    "success, context, metrics, cost_usd, timestamp_us, timestamp_defaulted, "
    "recommendation_id, content_hash, received_us, anomaly_score, anomaly";

// Ids come from the sequence first so that each row's id is known in input order.
constexpr const char* kNextIdsName = "agentlearn_next_ids";
constexpr const char* kNextIdsSql =
    "SELECT nextval('executions_id_seq') FROM generate_series(1, $1::int)";

// One index probe per id, whatever the table size. The obvious `execution_id = ANY($1)`
// lets the planner guess that 10,000 ids match 10,000 rows and pick a sequential scan of
// the whole table (measured: 500+ ms per 10,000-row group on 450k rows, against ~15 ms
// this way); LIMIT 1 keeps the lateral subquery from being flattened into a hash join.
constexpr const char* kFindName = "agentlearn_find_existing";
constexpr const char* kFindSql =
    "SELECT q.execution_id, e.id, e.content_hash "
    "FROM unnest($1::text[]) AS q(execution_id) "
    "CROSS JOIN LATERAL (SELECT id, content_hash FROM executions "
    "                    WHERE execution_id = q.execution_id LIMIT 1) AS e";

constexpr const char* kCopySql =
    "COPY executions (id, execution_id, agent_id, task_id, task_description, task_type, "
    "execution_time, success, context, metrics, cost_usd, timestamp_us, timestamp_defaulted, "
    "recommendation_id, content_hash, received_us, anomaly_score, anomaly) FROM STDIN";

// One statement, one round trip, for small groups: each column arrives as one array, the
// CTE draws the ids (materialised once, as it is referenced twice), inserts, and returns the
// ids in input order.
constexpr const char* kInsertName = "agentlearn_insert_unnest";
constexpr const char* kInsertSql = R"sql(
WITH input AS (
  SELECT nextval('executions_id_seq') AS id, u.*
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
              $7::bool[], $8::text[], $9::text[], $10::float8[], $11::int8[], $12::bool[],
              $13::text[], $14::text[], $15::float8[], $16::bool[])
       WITH ORDINALITY AS u(execution_id, agent_id, task_id, task_description, task_type,
                            execution_time, success, context, metrics, cost_usd, timestamp_us,
                            timestamp_defaulted, recommendation_id, content_hash, anomaly_score,
                            anomaly, ord)
), inserted AS (
  INSERT INTO executions (id, execution_id, agent_id, task_id, task_description, task_type,
                          execution_time, success, context, metrics, cost_usd, timestamp_us,
                          timestamp_defaulted, recommendation_id, content_hash, received_us,
                          anomaly_score, anomaly)
  SELECT id, execution_id, agent_id, task_id, task_description, task_type, execution_time,
         success, context::jsonb, metrics::jsonb, cost_usd, timestamp_us, timestamp_defaulted,
         recommendation_id, content_hash, $17::int8, anomaly_score, anomaly
  FROM input
)
SELECT id FROM input ORDER BY ord
)sql";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// libpq messages end in newlines and sometimes span lines; a Status message is one line.
std::string one_line(const char* text) {
  std::string out;
  bool space = false;
  for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += *p;
  }
  return out;
}

bool sqlstate_is(const char* state, std::string_view code) {
  return state != nullptr && std::string_view(state) == code;
}
bool sqlstate_class(const char* state, std::string_view cls) {
  return state != nullptr && std::string_view(state).substr(0, 2) == cls;
}

// Maps a failed command to a Status. Anything that means "the server is not there or not
// able right now" is kUnavailable (503, worth a retry); a unique violation is kConflict on
// `conflict_field`; rejected data is kInvalidArgument; the rest are bugs.
Status pg_status(PGconn* conn, const PGresult* r, std::string_view what,
                 const char* conflict_field = "execution_id") {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = "postgresql: ";
  msg += what;
  msg += ": ";
  const char* text = r != nullptr ? PQresultErrorMessage(r) : "";
  if (text == nullptr || *text == '\0') text = PQerrorMessage(conn);
  msg += one_line(text);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK || sqlstate_class(state, "08") ||
      sqlstate_class(state, "53") || sqlstate_class(state, "57") || sqlstate_class(state, "58") ||
      sqlstate_is(state, "40001") || sqlstate_is(state, "40P01") || sqlstate_is(state, "55P03") ||
      sqlstate_is(state, "25006")) {
    return Status::Unavailable(std::move(msg));
  }
  if (sqlstate_is(state, "23505")) return Status::Conflict(std::move(msg), conflict_field);
  if (sqlstate_class(state, "22")) return Status::Invalid(std::move(msg));
  if (sqlstate_is(state, "42P01")) msg += " (has migrate() run on this database?)";
  return Status::Internal(std::move(msg));
}

bool result_ok(const PGresult* r) {
  ExecStatusType s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

// --- text encodings -------------------------------------------------------------------

void append_double(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact round trip
  (void)ec;
  out.append(buf, end);
}
void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// COPY text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
void copy_text(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}
void copy_opt_text(std::string& out, const std::optional<std::string>& v) {
  if (v) {
    copy_text(out, *v);
  } else {
    out += "\\N";
  }
}
void copy_opt_double(std::string& out, const std::optional<double>& v) {
  if (v) {
    append_double(out, *v);
  } else {
    out += "\\N";
  }
}
void copy_opt_bool(std::string& out, const std::optional<bool>& v) {
  if (v) {
    out += *v ? 't' : 'f';
  } else {
    out += "\\N";
  }
}

// Array literal element: always quoted, so commas, braces, spaces and the word NULL are
// data; inside quotes only backslash and double quote need escaping.
void array_text(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  out += '"';
}

class ArrayBuilder {
 public:
  void clear() { s_.assign(1, '{'); }
  std::string& next() {
    if (s_.size() > 1) s_ += ',';
    return s_;
  }
  void text(std::string_view v) { array_text(next(), v); }
  void opt_text(const std::optional<std::string>& v) {
    if (v) {
      text(*v);
    } else {
      next() += "NULL";
    }
  }
  void dbl(double v) { append_double(next(), v); }
  void opt_dbl(const std::optional<double>& v) {
    if (v) {
      dbl(*v);
    } else {
      next() += "NULL";
    }
  }
  void boolean(bool v) { next() += v ? 't' : 'f'; }
  void opt_boolean(const std::optional<bool>& v) {
    if (v) {
      boolean(*v);
    } else {
      next() += "NULL";
    }
  }
  void int64(int64_t v) { append_int(next(), v); }
  const char* finish() {
    s_ += '}';
    return s_.c_str();
  }

 private:
  std::string s_ = "{";
};

// Text parameters travel as C strings, so a NUL byte would silently cut the value short.
// PostgreSQL cannot store NUL in text or JSONB anyway; refuse it before it reaches the wire.
bool has_nul(std::string_view v) { return v.find('\0') != std::string_view::npos; }

// The first of `fields` (name, value) that holds a NUL, refused; Ok when none does.
Status check_no_nul(std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  for (const auto& [field, value] : fields) {
    if (has_nul(value)) {
      return Status::Invalid(
          std::string("postgresql cannot store a NUL character (in ") + field + ")", field);
    }
  }
  return Status::Ok();
}

Status check_no_nul(const Execution& e) {
  auto opt = [](const std::optional<std::string>& v) { return v ? std::string_view(*v) : ""; };
  return check_no_nul({{"execution_id", opt(e.execution_id)},
                       {"agent_id", e.agent_id},
                       {"task_id", e.task_id},
                       {"task_description", opt(e.task_description)},
                       {"task_type", opt(e.task_type)},
                       {"context", e.context_json},
                       {"metrics", e.metrics_json},
                       {"recommendation_id", opt(e.recommendation_id)},
                       {"content_hash", e.content_hash}});
}

// --- reading text results ---------------------------------------------------------------

std::string_view value_view(const PGresult* r, int row, int col) {
  return {PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col))};
}
int64_t value_int(const PGresult* r, int row, int col) {
  std::string_view v = value_view(r, row, col);
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}
double value_double(const PGresult* r, int row, int col) {
  std::string_view v = value_view(r, row, col);
  double out = 0;
  // float8 prints Infinity/-Infinity/NaN; from_chars reads them (case-insensitive).
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}
bool value_bool(const PGresult* r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }
bool is_null(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }

void read_opt_text(const PGresult* r, int row, int col, std::optional<std::string>& out) {
  if (is_null(r, row, col)) {
    out.reset();
  } else {
    out.emplace(value_view(r, row, col));
  }
}
std::optional<double> value_opt_double(const PGresult* r, int row, int col) {
  if (is_null(r, row, col)) return std::nullopt;
  return value_double(r, row, col);
}

// Fills `out` from a result selecting kRowColumns. context and metrics come back as
// PostgreSQL re-serialises JSONB (key order and spacing may differ from what was sent).
void read_stored_row(const PGresult* r, int row, StoredRow& out) {
  Execution& e = out.execution;
  out.id = value_int(r, row, 0);
  read_opt_text(r, row, 1, e.execution_id);
  e.agent_id.assign(value_view(r, row, 2));
  e.task_id.assign(value_view(r, row, 3));
  read_opt_text(r, row, 4, e.task_description);
  read_opt_text(r, row, 5, e.task_type);
  e.execution_time = value_double(r, row, 6);
  e.success = value_bool(r, row, 7);
  e.context_json.assign(value_view(r, row, 8));
  e.metrics_json.assign(value_view(r, row, 9));
  e.cost_usd = value_opt_double(r, row, 10);
  e.timestamp_us = value_int(r, row, 11);
  e.timestamp_defaulted = value_bool(r, row, 12);
  read_opt_text(r, row, 13, e.recommendation_id);
  e.content_hash.assign(value_view(r, row, 14));
  out.received_us = value_int(r, row, 15);
  out.anomaly_score = value_opt_double(r, row, 16);
  if (is_null(r, row, 17)) {
    out.anomaly.reset();
  } else {
    out.anomaly = value_bool(r, row, 17);
  }
  e.anomaly_score = out.anomaly_score;
  e.anomaly = out.anomaly;
}

// Fills `out` (but its blob) from a result whose first columns are version, created_us,
// rejected, reason, summary_json.
void read_model_set(const PGresult* r, int row, ModelSetRecord& out) {
  out.version.assign(value_view(r, row, 0));
  out.created_us = value_int(r, row, 1);
  out.rejected = value_bool(r, row, 2);
  out.reason.assign(value_view(r, row, 3));
  out.summary_json.assign(value_view(r, row, 4));
}

void ignore_notice(void*, const char*) {}

// "_<process tag>_<counter>": a suffix for prepared statement names that no other connection
// has, in this process or another. PGlite (PostgreSQL in WebAssembly, behind a socket) runs
// every connection in its one shared session, where a statement outlives the connection that
// prepared it; fixed names would collide between connections, reconnects and processes.
std::string next_statement_suffix() {
  static const std::string process_tag = [] {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", std::random_device()());
    return std::string(buf);
  }();
  static std::atomic<uint64_t> counter{0};
  return "_" + process_tag + "_" + std::to_string(counter.fetch_add(1));
}

// PGlite serves all its connections from one session and queues their protocol messages one
// at a time: outside a transaction, the Parse/Bind/Execute/Sync of two connections' requests
// interleave (a Bind meets another request's statement: errors, or that query's rows), and a
// message that arrives while the session skips to a Sync after an error is never answered.
// So in this process every request to a server known to be PGlite (learned at connect) waits
// for its turn, first come first served (readers in a loop must not starve the writer); the
// writer holds it from BEGIN to COMMIT. On PostgreSQL it costs one atomic load. Other
// processes on the same PGlite server are not covered: use it from one process at a time.
class PgliteTurns {
 public:
  void lock() {
    std::unique_lock l(mu_);
    uint64_t mine = next_++;
    cv_.wait(l, [&] { return serving_ == mine; });
  }
  void unlock() {
    {
      std::lock_guard l(mu_);
      ++serving_;
    }
    cv_.notify_all();
  }

  // Called at connect: whether `url` is a PGlite server.
  void learn(const std::string& url, bool pglite) {
    if (!pglite) return;
    std::lock_guard l(mu_);
    urls_.insert(url);
    any_ = true;
  }
  bool known(const std::string& url) {
    if (!any_) return false;
    std::lock_guard l(mu_);
    return urls_.count(url) != 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_ = 0;
  uint64_t serving_ = 0;
  std::unordered_set<std::string> urls_;
  std::atomic<bool> any_{false};
};

PgliteTurns& pglite_turns() {
  static PgliteTurns turns;
  return turns;
}

// This process's turn on `url` when it is a PGlite server (see PgliteTurns); empty otherwise.
std::unique_lock<PgliteTurns> pglite_turn(const std::string& url) {
  if (!pglite_turns().known(url)) return {};
  return std::unique_lock(pglite_turns());
}

}  // namespace

// --- Connection -----------------------------------------------------------------------------

class PostgresStore::Connection {
 public:
  Connection(const std::string& url, const std::string& target, const PostgresOptions& options)
      : url_(url), target_(target), options_(options) {}
  ~Connection() { drop(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }
  const std::string& url() const { return url_; }
  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

  // PGlite's PostgreSQL (known at connect): one session shared by every connection, no COPY.
  bool pglite() const { return pglite_; }

  void drop() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    prepared_.clear();
  }

  // Connects if there is no usable connection. Bounded by connect_timeout.
  Status ensure() {
    if (ok()) return Status::Ok();
    drop();
    std::string timeout = std::to_string(options_.connect_timeout_s);
    // Defaults first, then the URL (expand_dbname), which overrides them; client_encoding
    // last because the byte handling below assumes UTF-8. tcp_user_timeout and keepalives
    // turn a vanished server into an error instead of a hang.
    const char* keys[] = {"connect_timeout", "tcp_user_timeout", "keepalives",
                          "keepalives_idle", "keepalives_interval", "keepalives_count",
                          "application_name", "dbname", "client_encoding", nullptr};
    const char* values[] = {timeout.c_str(), "10000", "1", "30", "10", "3",
                            "agentlearn", url_.c_str(), "UTF8", nullptr};
    PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (c == nullptr) return Status::Unavailable("postgresql: out of memory connecting");
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = "postgresql: cannot connect to " + target_ + ": " + one_line(PQerrorMessage(c));
      PQfinish(c);
      return Status::Unavailable(std::move(msg));
    }
    PQsetNoticeProcessor(c, ignore_notice, nullptr);  // "already exists, skipping" etc.
    conn_ = c;
    // Durability is the contract: an acknowledged record is committed and flushed. A server
    // configured with synchronous_commit=off would silently weaken that, so undo it here.
    // The same round trip asks whether the server is PGlite.
    Result r(PQexec(conn_, "SELECT strpos(version(), 'PGlite') > 0, "
                           "CASE WHEN current_setting('synchronous_commit') = 'off' "
                           "THEN set_config('synchronous_commit', 'on', false) END"));
    if (!result_ok(r.get()) || PQntuples(r.get()) != 1) {
      Status st = pg_status(conn_, r.get(), "configure session");
      drop();
      return st;
    }
    pglite_ = value_bool(r.get(), 0, 0);
    pglite_turns().learn(url_, pglite_);
    suffix_ = next_statement_suffix();
    return Status::Ok();
  }

  // The name `name` is prepared under on this connection (see next_statement_suffix()).
  std::string statement(const char* name) const { return name + suffix_; }

  // Prepares a named statement once per connection (again after a reconnect).
  Status prepare(const char* name, const char* sql) {
    if (prepared_.count(name) != 0) return Status::Ok();
    Result r(PQprepare(conn_, statement(name).c_str(), sql, 0, nullptr));
    if (!result_ok(r.get())) return pg_status(conn_, r.get(), std::string("prepare ") + name);
    prepared_.insert(name);
    return Status::Ok();
  }

  // SELECT 1 with a deadline: a server that accepts TCP but never answers must not hang
  // the health check. On timeout the connection is dropped (its state is unknown).
  Status ping(int timeout_ms, bool& timed_out) {
    timed_out = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    if (PQsendQuery(conn_, "SELECT 1") == 0) return pg_status(conn_, nullptr, "ping");
    Status st;
    for (;;) {
      // Wait, without blocking past the deadline, until the next result (or the end of
      // them) can be taken without blocking.
      for (;;) {
        int flush = PQflush(conn_);
        if (flush < 0 || PQconsumeInput(conn_) == 0) return pg_status(conn_, nullptr, "ping");
        if (flush == 0 && PQisBusy(conn_) == 0) break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          drop();
          timed_out = true;
          return Status::Unavailable("postgresql: " + target_ + " did not answer within " +
                                     std::to_string(timeout_ms) + " ms");
        }
        pollfd pfd{PQsocket(conn_), static_cast<short>(POLLIN | (flush == 1 ? POLLOUT : 0)), 0};
        ::poll(&pfd, 1, static_cast<int>(left.count()));
      }
      Result r(PQgetResult(conn_));
      if (!r) break;
      if (st.ok() && !result_ok(r.get())) st = pg_status(conn_, r.get(), "ping");
    }
    return st;
  }

 private:
  std::string url_;
  std::string target_;
  PostgresOptions options_;
  PGconn* conn_ = nullptr;
  std::unordered_set<std::string> prepared_;
  std::string suffix_;  // of prepared statement names, new for each connect
  bool pglite_ = false;
};

// --- Writer ---------------------------------------------------------------------------------

namespace {

class PgWriter final : public StoreWriter {
 public:
  PgWriter(const std::string& url, const std::string& target, const PostgresOptions& options)
      : conn_(url, target, options), options_(options) {}
  ~PgWriter() override { rollback(); }

  Status begin() override {
    // A transaction left open by a failed group is abandoned: nothing in it was acknowledged.
    rollback();
    turn_ = pglite_turn(conn_.url());  // until commit() or rollback()
    // Two attempts: the first use of a connection the server dropped (restart, failover,
    // pg_terminate_backend) is what reveals it, so one reconnect is always worth trying.
    Status st;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (st = conn_.ensure(); !st.ok()) break;
      if (!turn_.owns_lock()) turn_ = pglite_turn(conn_.url());  // a first connect found PGlite
      Result r(PQexec(conn_.get(), "BEGIN"));
      if (result_ok(r.get())) {
        in_txn_ = true;
        return Status::Ok();
      }
      st = pg_status(conn_.get(), r.get(), "begin");
      if (conn_.ok()) break;  // the server answered: not a connection problem
      conn_.drop();
    }
    turn_ = {};
    return st;
  }

  Status commit() override {
    std::unique_lock<PgliteTurns> turn = std::move(turn_);  // given back on return
    if (!conn_.ok()) {
      in_txn_ = false;
      return Status::Unavailable("postgresql: connection lost before commit; nothing was committed");
    }
    Result r(PQexec(conn_.get(), "COMMIT"));
    in_txn_ = false;
    if (!result_ok(r.get())) {
      if (!conn_.ok()) {
        // The COMMIT may have reached the server before the connection broke.
        return Status::Unavailable(
            "postgresql: connection lost during commit; the outcome is unknown: " +
            one_line(PQerrorMessage(conn_.get())));
      }
      return pg_status(conn_.get(), r.get(), "commit");
    }
    // COMMIT of a transaction that already failed "succeeds" with the tag ROLLBACK.
    if (std::strcmp(PQcmdStatus(r.get()), "COMMIT") != 0) {
      return Status::Internal("postgresql: the transaction had failed and was rolled back");
    }
    return Status::Ok();
  }

  void rollback() override {
    std::unique_lock<PgliteTurns> turn = std::move(turn_);  // given back on return
    if (!in_txn_) return;
    in_txn_ = false;
    if (conn_.ok()) PQclear(PQexec(conn_.get(), "ROLLBACK"));
  }

  Status find_existing(std::span<const std::string> ids,
                       std::vector<std::optional<ExistingExecution>>& out) override {
    out.assign(ids.size(), std::nullopt);
    if (ids.empty()) return Status::Ok();
    if (Status st = usable(); !st.ok()) return st;
    if (Status st = conn_.prepare(kFindName, kFindSql); !st.ok()) return st;
    array_.clear();
    size_t queried = 0;
    for (const std::string& id : ids) {
      if (has_nul(id)) continue;  // cannot be stored, so cannot exist
      array_.text(id);
      ++queried;
    }
    if (queried == 0) return Status::Ok();
    const char* params[] = {array_.finish()};
    Result r(PQexecPrepared(conn_.get(), conn_.statement(kFindName).c_str(), 1, params, nullptr,
                            nullptr, 0));
    if (!result_ok(r.get())) return pg_status(conn_.get(), r.get(), "find existing executions");
    int n = PQntuples(r.get());
    if (n == 0) return Status::Ok();
    std::unordered_map<std::string_view, int> found;
    found.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) found.emplace(value_view(r.get(), i, 0), i);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = found.find(ids[i]);
      if (it == found.end()) continue;
      out[i] = ExistingExecution{value_int(r.get(), it->second, 1),
                                 std::string(value_view(r.get(), it->second, 2))};
    }
    return Status::Ok();
  }

  Status insert(std::span<const Execution* const> rows, int64_t received_us,
                std::vector<int64_t>& ids_out) override {
    ids_out.clear();
    if (rows.empty()) return Status::Ok();
    for (const Execution* e : rows) {
      if (Status st = check_no_nul(*e); !st.ok()) return st;
    }
    if (Status st = usable(); !st.ok()) return st;
    // PGlite runs each protocol message on its own, so COPY FROM STDIN meets the end of its
    // input at once (and the failed COPY left the server answering nobody): unnest() only.
    if (rows.size() > options_.copy_threshold && !conn_.pglite()) {
      return insert_copy(rows, received_us, ids_out);
    }
    return insert_unnest(rows, received_us, ids_out);
  }

 private:
  Status usable() {
    if (conn_.ok()) return Status::Ok();
    return Status::Unavailable("postgresql: connection lost (begin() reconnects)");
  }

  Status insert_unnest(std::span<const Execution* const> rows, int64_t received_us,
                       std::vector<int64_t>& ids_out) {
    if (Status st = conn_.prepare(kInsertName, kInsertSql); !st.ok()) return st;
    constexpr int kArrays = 16;
    for (auto& c : cols_) c.clear();
    for (const Execution* e : rows) {
      cols_[0].opt_text(e->execution_id);
      cols_[1].text(e->agent_id);
      cols_[2].text(e->task_id);
      cols_[3].opt_text(e->task_description);
      cols_[4].opt_text(e->task_type);
      cols_[5].dbl(e->execution_time);
      cols_[6].boolean(e->success);
      cols_[7].text(e->context_json);
      cols_[8].text(e->metrics_json);
      cols_[9].opt_dbl(e->cost_usd);
      cols_[10].int64(e->timestamp_us);
      cols_[11].boolean(e->timestamp_defaulted);
      cols_[12].opt_text(e->recommendation_id);
      cols_[13].text(e->content_hash);
      cols_[14].opt_dbl(e->anomaly_score);
      cols_[15].opt_boolean(e->anomaly);
    }
    std::string received = std::to_string(received_us);
    const char* params[kArrays + 1];
    for (int i = 0; i < kArrays; ++i) params[i] = cols_[i].finish();
    params[kArrays] = received.c_str();
    Result r(PQexecPrepared(conn_.get(), conn_.statement(kInsertName).c_str(), kArrays + 1, params,
                            nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(conn_.get(), r.get(), "insert executions");
    int n = PQntuples(r.get());
    if (static_cast<size_t>(n) != rows.size()) {
      return Status::Internal("postgresql: insert returned " + std::to_string(n) + " ids for " +
                              std::to_string(rows.size()) + " rows");
    }
    ids_out.reserve(rows.size());
    for (int i = 0; i < n; ++i) ids_out.push_back(value_int(r.get(), i, 0));
    return Status::Ok();
  }

  Status insert_copy(std::span<const Execution* const> rows, int64_t received_us,
                     std::vector<int64_t>& ids_out) {
    // 1. Ids, in input order.
    if (Status st = conn_.prepare(kNextIdsName, kNextIdsSql); !st.ok()) return st;
    std::string count = std::to_string(rows.size());
    const char* params[] = {count.c_str()};
    {
      Result r(PQexecPrepared(conn_.get(), conn_.statement(kNextIdsName).c_str(), 1, params,
                              nullptr, nullptr, 0));
      if (!result_ok(r.get())) return pg_status(conn_.get(), r.get(), "allocate ids");
      int n = PQntuples(r.get());
      if (static_cast<size_t>(n) != rows.size()) {
        return Status::Internal("postgresql: sequence returned too few ids");
      }
      ids_out.reserve(rows.size());
      for (int i = 0; i < n; ++i) ids_out.push_back(value_int(r.get(), i, 0));
    }
    // 2. COPY the rows with those ids.
    {
      Result r(PQexec(conn_.get(), kCopySql));
      if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
        ids_out.clear();
        return pg_status(conn_.get(), r.get(), "start copy");
      }
    }
    constexpr size_t kChunk = 1 << 20;  // bytes handed to libpq at a time
    buf_.clear();
    bool send_failed = false;
    for (size_t i = 0; i < rows.size() && !send_failed; ++i) {
      const Execution& e = *rows[i];
      append_int(buf_, ids_out[i]);
      buf_ += '\t';
      copy_opt_text(buf_, e.execution_id);
      buf_ += '\t';
      copy_text(buf_, e.agent_id);
      buf_ += '\t';
      copy_text(buf_, e.task_id);
      buf_ += '\t';
      copy_opt_text(buf_, e.task_description);
      buf_ += '\t';
      copy_opt_text(buf_, e.task_type);
      buf_ += '\t';
      append_double(buf_, e.execution_time);
      buf_ += e.success ? "\tt\t" : "\tf\t";
      copy_text(buf_, e.context_json);
      buf_ += '\t';
      copy_text(buf_, e.metrics_json);
      buf_ += '\t';
      copy_opt_double(buf_, e.cost_usd);
      buf_ += '\t';
      append_int(buf_, e.timestamp_us);
      buf_ += e.timestamp_defaulted ? "\tt\t" : "\tf\t";
      copy_opt_text(buf_, e.recommendation_id);
      buf_ += '\t';
      copy_text(buf_, e.content_hash);
      buf_ += '\t';
      append_int(buf_, received_us);
      buf_ += '\t';
      copy_opt_double(buf_, e.anomaly_score);
      buf_ += '\t';
      copy_opt_bool(buf_, e.anomaly);
      buf_ += '\n';
      if (buf_.size() >= kChunk || i + 1 == rows.size()) {
        if (PQputCopyData(conn_.get(), buf_.data(), static_cast<int>(buf_.size())) != 1) {
          send_failed = true;
        }
        buf_.clear();
      }
    }
    if (buf_.capacity() > 4 * kChunk) buf_ = std::string();  // do not pin a huge buffer
    Status st;
    if (send_failed || PQputCopyEnd(conn_.get(), nullptr) != 1) {
      st = pg_status(conn_.get(), nullptr, "copy rows");
    }
    // Drain every result; the first error wins (e.g. 23505 surfaces here).
    while (PGresult* raw = PQgetResult(conn_.get())) {
      Result r(raw);
      if (PQresultStatus(raw) == PGRES_COPY_IN) {
        // Still in COPY (the data could not all be sent): abort it so the server answers,
        // or give the connection up if even that fails; begin() reconnects.
        if (PQputCopyEnd(conn_.get(), "aborted by client") != 1) {
          if (st.ok()) st = pg_status(conn_.get(), nullptr, "copy rows");
          conn_.drop();
          break;
        }
        continue;
      }
      if (st.ok() && !result_ok(r.get())) st = pg_status(conn_.get(), r.get(), "copy rows");
    }
    if (!st.ok()) ids_out.clear();
    return st;
  }

  PostgresStore::Connection conn_;
  PostgresOptions options_;
  bool in_txn_ = false;
  std::unique_lock<PgliteTurns> turn_;  // held from begin() to commit() or rollback() on PGlite
  // Reused across groups to avoid reallocating per call.
  std::string buf_;
  ArrayBuilder array_;
  ArrayBuilder cols_[16];
};

// Rolls back a read transaction if the scope ends early (error or throwing callback).
class ReadTxn {
 public:
  explicit ReadTxn(PGconn* c) : c_(c) {}
  ~ReadTxn() {
    if (c_ != nullptr && PQstatus(c_) == CONNECTION_OK) PQclear(PQexec(c_, "ROLLBACK"));
  }
  void done() { c_ = nullptr; }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

 private:
  PGconn* c_;
};

// Streams a query's rows through a cursor, fetch_rows at a time, so memory stays bounded
// however many rows match. `delivered` turns true once the callback has seen a row.
Status stream_rows(PGconn* c, const std::string& sql, int nparams, const char* const* params,
                   size_t fetch_rows, bool& delivered,
                   const std::function<void(const PGresult*, int)>& on_row) {
  {
    Result r(PQexec(c, "BEGIN READ ONLY"));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "begin read");
  }
  ReadTxn txn(c);
  {
    std::string declare = "DECLARE agentlearn_scan NO SCROLL CURSOR FOR " + sql;
    Result r(PQexecParams(c, declare.c_str(), nparams, nullptr, params, nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "open cursor");
  }
  std::string fetch = "FETCH FORWARD " + std::to_string(fetch_rows) + " FROM agentlearn_scan";
  for (;;) {
    Result r(PQexec(c, fetch.c_str()));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "fetch rows");
    int n = PQntuples(r.get());
    for (int i = 0; i < n; ++i) {
      delivered = true;
      on_row(r.get(), i);
    }
    if (static_cast<size_t>(n) < fetch_rows) break;
  }
  Result r(PQexec(c, "COMMIT"));
  txn.done();
  if (!result_ok(r.get())) return pg_status(c, r.get(), "end read");
  return Status::Ok();
}

// Runs a statement that returns no rows, with text parameters (nullptr is NULL).
template <size_t N>
Status run(PGconn* c, const char* sql, const char* const (&params)[N], std::string_view what) {
  Result r(PQexecParams(c, sql, static_cast<int>(N), nullptr, params, nullptr, nullptr, 0));
  if (!result_ok(r.get())) return pg_status(c, r.get(), what);
  return Status::Ok();
}

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

Status exec_script(PGconn* c, const std::string& sql, std::string_view what) {
  Result r(PQexec(c, sql.c_str()));
  if (!result_ok(r.get())) return pg_status(c, r.get(), what);
  return Status::Ok();
}

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

// A vector as PostgreSQL text input: "[a,b]" for pgvector, "{a,b}" for real[]; shortest
// round-trip digits, so what is read back is the same float.
void append_vector(std::string& out, std::span<const float> v, VectorStorage storage) {
  out += storage == VectorStorage::kPgvector ? '[' : '{';
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v[i]);
    out.append(buf, end);
  }
  out += storage == VectorStorage::kPgvector ? ']' : '}';
}

// Parses either text form back; false on anything else.
bool parse_vector(std::string_view text, std::vector<float>& out) {
  out.clear();
  if (text.size() < 2) return false;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    float f = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), f);
    if (ec != std::errc()) return false;
    out.push_back(f);
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (!text.empty()) {
      if (text.front() != ',') return false;
      text.remove_prefix(1);
    }
  }
  return true;
}

}  // namespace

// --- Store ----------------------------------------------------------------------------------

// Returns its connection to the pool when it goes out of scope.
class PostgresStore::Lease {
 public:
  Lease(PostgresStore* store, std::unique_ptr<Connection> c) : store_(store), c_(std::move(c)) {}
  Lease(Lease&& o) noexcept : store_(o.store_), c_(std::move(o.c_)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (c_) store_->release(std::move(c_));
  }
  Connection& operator*() const { return *c_; }
  Connection* operator->() const { return c_.get(); }

 private:
  PostgresStore* store_;
  std::unique_ptr<Connection> c_;
};

PostgresStore::PostgresStore(std::string url, std::string target, PostgresOptions options)
    : url_(std::move(url)), target_(std::move(target)), options_(options) {
  if (options_.read_pool_size == 0) options_.read_pool_size = 1;
  if (options_.fetch_rows == 0) options_.fetch_rows = 1;
  ping_conn_ = std::make_unique<Connection>(url_, target_, options_);
}

PostgresStore::~PostgresStore() = default;

StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url,
                                                             PostgresOptions options) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = "invalid PostgreSQL URL: " + one_line(err != nullptr ? err : "out of memory");
    if (err != nullptr) PQfreemem(err);
    return Status::Invalid(std::move(msg));
  }
  // "host:port/dbname" for messages; the URL itself may hold a password.
  std::string host, port, dbname;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view k = o->keyword;
    if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(opts);
  std::string target = (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port) +
                       "/" + (dbname.empty() ? "(default database)" : dbname);
  return std::unique_ptr<PostgresStore>(new PostgresStore(url, std::move(target), options));
}

StatusOr<PostgresStore::Lease> PostgresStore::acquire() {
  std::unique_ptr<Connection> c;
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.read_pool_size; });
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  if (!c) c = std::make_unique<Connection>(url_, target_, options_);
  Lease lease(this, std::move(c));
  if (Status st = lease->ensure(); !st.ok()) return st;  // the lease returns the slot
  return lease;
}

void PostgresStore::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(pool_mu_);
  idle_.push_back(std::move(conn));
  pool_cv_.notify_one();
}

template <typename Fn>
Status PostgresStore::with_read_retry(Fn&& fn) {
  auto turn = pglite_turn(url_);
  auto lease = acquire();
  if (!lease.ok()) return lease.status();
  bool delivered = false;
  Status st = fn(**lease, delivered);
  if (st.ok() || delivered || (*lease)->ok()) return st;
  // The pooled connection was dead (server restarted since it was last used): once more.
  (*lease)->drop();
  if (Status c = (*lease)->ensure(); !c.ok()) return c;
  return fn(**lease, delivered);
}

Status PostgresStore::migrate() {
  return with_read_retry([&](Connection& conn, bool&) -> Status {
    PGconn* c = conn.get();
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
    storage_.store(pgvector ? VectorStorage::kPgvector : VectorStorage::kRealArray);
    return Status::Ok();
  });
}

Status PostgresStore::ping() {
  std::lock_guard lock(ping_mu_);
  auto turn = pglite_turn(url_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (Status st = ping_conn_->ensure(); !st.ok()) return st;
    bool timed_out = false;
    Status st = ping_conn_->ping(options_.ping_timeout_ms, timed_out);
    // Retry only a connection found dead (e.g. after a server restart); a timeout already
    // used up the time budget.
    if (st.ok() || timed_out || ping_conn_->ok() || attempt == 1) return st;
    ping_conn_->drop();
  }
  return Status::Ok();  // unreachable
}

StatusOr<std::unique_ptr<StoreWriter>> PostgresStore::open_writer() {
  // Connects lazily in begin(), so a writer can be opened while the server is down.
  return std::unique_ptr<StoreWriter>(new PgWriter(url_, target_, options_));
}

Status PostgresStore::query(const char* sql, std::initializer_list<const char*> params,
                            std::string_view what,
                            const std::function<void(const PGresult*, int)>& row) {
  return with_read_retry([&](Connection& conn, bool&) -> Status {
    // On PGlite the statement's protocol messages (parse, bind, execute) could interleave
    // with another process's outside a transaction; inside one, PGlite makes others wait.
    // BEGIN and COMMIT are simple queries: one message each.
    const bool wrap = conn.pglite();
    if (wrap) {
      if (Status st = exec_script(conn.get(), "BEGIN READ ONLY", what); !st.ok()) return st;
    }
    ReadTxn txn(conn.get());
    if (!wrap) txn.done();
    Result r(PQexecParams(conn.get(), sql, static_cast<int>(params.size()), nullptr,
                          params.begin(), nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(conn.get(), r.get(), what);
    for (int i = 0, n = PQntuples(r.get()); i < n; ++i) row(r.get(), i);
    if (wrap) {
      txn.done();
      return exec_script(conn.get(), "COMMIT", what);
    }
    return Status::Ok();
  });
}

Status PostgresStore::stream(const std::string& sql, std::span<const char* const> params,
                             const std::function<void(const PGresult*, int)>& row) {
  return with_read_retry([&](Connection& conn, bool& delivered) -> Status {
    return stream_rows(conn.get(), sql, static_cast<int>(params.size()), params.data(),
                       options_.fetch_rows, delivered, row);
  });
}

Status PostgresStore::write_txn(const std::function<Status(Connection&)>& body) {
  return with_read_retry([&](Connection& conn, bool& delivered) -> Status {
    PGconn* c = conn.get();
    {
      Result r(PQexec(c, "BEGIN"));
      if (!result_ok(r.get())) return pg_status(c, r.get(), "begin");
    }
    delivered = true;  // no second attempt from here on
    ReadTxn txn(c);    // rolls back unless committed
    if (Status st = body(conn); !st.ok()) return st;
    Result r(PQexec(c, "COMMIT"));
    txn.done();
    if (!result_ok(r.get())) return pg_status(c, r.get(), "commit");
    return Status::Ok();
  });
}

StatusOr<std::unique_ptr<PostgresStore::Connection>> PostgresStore::blob_connection() {
  auto conn = std::make_unique<Connection>(url_, target_, options_);
  if (Status st = conn->ensure(); !st.ok()) return st;
  return conn;
}

StatusOr<int64_t> PostgresStore::count_executions() {
  int64_t count = 0;
  Status st = query("SELECT count(*) FROM executions", {}, "count executions",
                    [&](const PGresult* r, int i) { count = value_int(r, i, 0); });
  if (!st.ok()) return st;
  return count;
}

Status PostgresStore::scan_stats(const ExecutionFilter& filter,
                                 const std::function<void(const StatsRow&)>& fn) {
  // Only the shape of the SQL depends on the filter; every value is a parameter.
  std::string sql =
      "SELECT agent_id, execution_time, success, timestamp_us, cost_usd, anomaly "
      "FROM executions WHERE true";
  std::vector<std::string> values;
  auto add = [&](const char* cond, std::string value) {
    values.push_back(std::move(value));
    sql += " AND ";
    sql += cond;
    sql += " $" + std::to_string(values.size());
  };
  if (filter.since_us) add("timestamp_us >=", std::to_string(*filter.since_us));
  if (filter.until_us) add("timestamp_us <", std::to_string(*filter.until_us));
  if (filter.task_type) {
    if (has_nul(*filter.task_type)) return Status::Ok();  // nothing stored can match
    add("task_type =", *filter.task_type);
  }
  if (filter.agent_id) {
    if (has_nul(*filter.agent_id)) return Status::Ok();
    add("agent_id =", *filter.agent_id);
  }
  // Parameter types are inferred from the columns they are compared with.
  std::vector<const char*> params;
  for (const auto& v : values) params.push_back(v.c_str());

  StatsRow row;
  return stream(sql, params, [&](const PGresult* r, int i) {
    row.agent_id = value_view(r, i, 0);
    row.execution_time = value_double(r, i, 1);
    row.success = value_bool(r, i, 2);
    row.timestamp_us = value_int(r, i, 3);
    row.cost_usd = value_opt_double(r, i, 4);
    row.anomaly = !is_null(r, i, 5) && value_bool(r, i, 5);
    fn(row);
  });
}

Status PostgresStore::scan_executions(int64_t after_id, size_t limit,
                                      const std::function<void(const StoredRow&)>& fn) {
  std::string sql = std::string("SELECT ") + kRowColumns +
                    " FROM executions WHERE id > $1::int8 ORDER BY id LIMIT $2::int8";
  std::string after = std::to_string(after_id);
  std::string lim = std::to_string(limit);
  // LIMIT NULL is no limit.
  const char* params[] = {after.c_str(), limit == 0 ? nullptr : lim.c_str()};
  StoredRow row;
  return stream(sql, params, [&](const PGresult* r, int i) {
    read_stored_row(r, i, row);
    fn(row);
  });
}

StatusOr<std::optional<StoredRow>> PostgresStore::find_execution(std::string_view execution_id) {
  if (has_nul(execution_id)) return std::optional<StoredRow>();  // cannot be stored
  std::string id(execution_id);
  std::string sql = std::string("SELECT ") + kRowColumns + " FROM executions WHERE execution_id = $1";
  std::optional<StoredRow> found;
  Status st = query(sql.c_str(), {id.c_str()}, "find execution",
                    [&](const PGresult* r, int i) { read_stored_row(r, i, found.emplace()); });
  if (!st.ok()) return st;
  return found;
}

Status PostgresStore::scan_anomalies(std::optional<int64_t> since_us, size_t limit,
                                     const std::function<void(const StoredRow&)>& fn) {
  // `WHERE anomaly` is the partial index's own condition: the planner walks it newest first.
  std::string sql = std::string("SELECT ") + kRowColumns + " FROM executions WHERE anomaly";
  std::string lim = std::to_string(limit);
  std::string since = since_us ? std::to_string(*since_us) : "";
  std::vector<const char*> params = {limit == 0 ? nullptr : lim.c_str()};  // LIMIT NULL: all
  if (since_us) {
    sql += " AND timestamp_us >= $2::int8";
    params.push_back(since.c_str());
  }
  sql += " ORDER BY id DESC LIMIT $1::int8";
  StoredRow row;
  return stream(sql, params, [&](const PGresult* r, int i) {
    read_stored_row(r, i, row);
    fn(row);
  });
}

// --- task embeddings -------------------------------------------------------------------------

Status PostgresStore::save_embeddings(std::span<const EmbeddingRecord> rows) {
  if (rows.empty()) return Status::Ok();
  for (const EmbeddingRecord& r : rows) {
    if (Status st = check_no_nul({{"version", r.version}}); !st.ok()) return st;
  }
  VectorStorage storage = vector_storage();
  std::string sql = std::string(
      "INSERT INTO embeddings (id, task_key, version, embedding) "
      "VALUES ($1::int8, $2::int8, $3, $4::") +
      (storage == VectorStorage::kPgvector ? "vector" : "real[]") +
      ") ON CONFLICT (id) DO UPDATE SET task_key = excluded.task_key, "
      "version = excluded.version, embedding = excluded.embedding";
  std::string id, key, vec;
  return write_txn([&](Connection& conn) -> Status {
    PGconn* c = conn.get();
    for (const EmbeddingRecord& r : rows) {
      id = std::to_string(r.id);
      key = std::to_string(static_cast<int64_t>(r.task_key));
      vec.clear();
      append_vector(vec, r.vector, storage);
      const char* params[] = {id.c_str(), key.c_str(), r.version.c_str(), vec.c_str()};
      if (Status st = run(c, sql.c_str(), params, "save embedding"); !st.ok()) return st;
    }
    return Status::Ok();
  });
}

Status PostgresStore::stream_page(const std::string& sql, std::string_view version, int64_t after_id,
                                  size_t limit, const std::function<void(const pg_result*, int)>& row) {
  std::string after = std::to_string(after_id);
  std::string ver(version);
  std::string lim = std::to_string(limit);
  const char* params[] = {after.c_str(), ver.c_str(), limit == 0 ? nullptr : lim.c_str()};  // NULL: no limit
  return stream(sql, params, row);
}

Status PostgresStore::scan_embeddings(std::string_view version, int64_t after_id, size_t limit,
                                      const std::function<void(const EmbeddingRecord&)>& fn) {
  if (has_nul(version)) return Status::Ok();
  // real[] reads back as "{...}" and vector as "[...]"; parse_vector takes either.
  std::string sql =
      "SELECT m.id, m.task_key, m.embedding::text, e.task_id FROM embeddings AS m "
      "JOIN executions AS e ON e.id = m.id "
      "WHERE m.id > $1::int8 AND m.version = $2 ORDER BY m.id LIMIT $3::int8";
  EmbeddingRecord row;
  row.version = version;
  bool bad = false;
  Status st = stream_page(sql, version, after_id, limit, [&](const PGresult* r, int i) {
    row.id = value_int(r, i, 0);
    row.task_key = static_cast<uint64_t>(value_int(r, i, 1));
    if (!parse_vector(value_view(r, i, 2), row.vector)) {
      bad = true;
      return;
    }
    row.task_id.assign(value_view(r, i, 3));
    fn(row);
  });
  if (st.ok() && bad) return Status::Internal("postgresql: an embedding could not be parsed");
  return st;
}

Status PostgresStore::scan_unembedded(std::string_view version, int64_t after_id, size_t limit,
                                      const std::function<void(const TextRow&)>& fn) {
  if (has_nul(version)) return Status::Ok();
  std::string sql =
      "SELECT e.id, e.task_id, e.task_description FROM executions AS e "
      "LEFT JOIN embeddings AS m ON m.id = e.id "
      "WHERE e.id > $1::int8 AND e.task_description IS NOT NULL "
      "AND (m.id IS NULL OR m.version <> $2) ORDER BY e.id LIMIT $3::int8";
  TextRow row;
  return stream_page(sql, version, after_id, limit, [&](const PGresult* r, int i) {
    row.id = value_int(r, i, 0);
    row.task_id = value_view(r, i, 1);
    row.description = value_view(r, i, 2);
    fn(row);
  });
}

StatusOr<int64_t> PostgresStore::count_embedded_tasks(std::string_view version, int64_t max_id) {
  if (has_nul(version)) return int64_t{0};
  std::string ver(version);
  std::string max = std::to_string(max_id);
  int64_t count = 0;
  Status st = query("SELECT count(DISTINCT task_key) FROM embeddings "
                    "WHERE version = $1 AND id <= $2::int8",
                    {ver.c_str(), max.c_str()}, "count embedded tasks",
                    [&](const PGresult* r, int i) { count = value_int(r, i, 0); });
  if (!st.ok()) return st;
  return count;
}

StatusOr<std::vector<TaskRuns>> PostgresStore::task_runs(std::span<const uint64_t> task_keys,
                                                         size_t runs_per_task) {
  std::vector<TaskRuns> out;
  if (task_keys.empty()) return out;
  std::string keys = "{";
  for (size_t i = 0; i < task_keys.size(); ++i) {
    if (i > 0) keys += ',';
    keys += std::to_string(static_cast<int64_t>(task_keys[i]));
  }
  keys += '}';
  std::unordered_map<uint64_t, size_t> slot;
  Status st = query(
      "SELECT m.task_key, e.task_id, e.task_description, e.agent_id, e.success, "
      "e.execution_time FROM embeddings AS m JOIN executions AS e ON e.id = m.id "
      "WHERE m.task_key = ANY($1::int8[]) ORDER BY m.task_key, m.id",
      {keys.c_str()}, "read task runs", [&](const PGresult* r, int i) {
        auto key = static_cast<uint64_t>(value_int(r, i, 0));
        auto [it, fresh] = slot.emplace(key, out.size());
        if (fresh) {
          TaskRuns& t = out.emplace_back();
          t.task_key = key;
          t.task_id.assign(value_view(r, i, 1));
          t.description.assign(value_view(r, i, 2));
        }
        TaskRuns& t = out[it->second];
        ++t.total_runs;
        if (t.runs.size() >= runs_per_task) return;
        TaskRun& run = t.runs.emplace_back();
        run.agent_id.assign(value_view(r, i, 3));
        run.success = value_bool(r, i, 4);
        run.execution_time = value_double(r, i, 5);
      });
  if (!st.ok()) return st;
  return out;
}

StatusOr<std::vector<TaskMatch>> PostgresStore::nearest_tasks(std::span<const float> query_vector,
                                                              std::string_view version, size_t k) {
  if (vector_storage() != VectorStorage::kPgvector) {
    return Status::Invalid(
        "source=database needs the vector extension (pgvector) in this PostgreSQL database; "
        "without it embeddings are stored as real[] and searched in the service",
        "source");
  }
  std::vector<TaskMatch> out;
  if (has_nul(version) || k == 0) return out;
  // Executions, not tasks, are indexed: a task run by several agents has one row per run,
  // so ask for more rows than tasks and keep each task's nearest. pgvector's HNSW scan
  // returns at most hnsw.ef_search rows, hence the SET LOCAL.
  size_t rows = std::min<size_t>(k * 8, 1000);
  std::string vec, ver(version), lim = std::to_string(rows);
  append_vector(vec, query_vector, VectorStorage::kPgvector);
  std::string ef = "SET LOCAL hnsw.ef_search = " + std::to_string(std::max<size_t>(rows, 40));
  std::unordered_set<uint64_t> seen;
  Status st = write_txn([&](Connection& conn) -> Status {
    PGconn* c = conn.get();
    if (Status s = exec_script(c, ef, "set hnsw.ef_search"); !s.ok()) return s;
    const char* params[] = {vec.c_str(), ver.c_str(), lim.c_str()};
    Result r(PQexecParams(c,
                          "SELECT task_key, 1 - (embedding <=> $1::vector) FROM embeddings "
                          "WHERE version = $2 ORDER BY embedding <=> $1::vector LIMIT $3::int8",
                          3, nullptr, params, nullptr, nullptr, 0));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "nearest tasks");
    for (int i = 0, n = PQntuples(r.get()); i < n && out.size() < k; ++i) {
      auto key = static_cast<uint64_t>(value_int(r.get(), i, 0));
      if (!seen.insert(key).second) continue;
      out.push_back({key, static_cast<float>(value_double(r.get(), i, 1))});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status PostgresStore::save_model_set(const ModelSetRecord& record) {
  if (Status st = check_no_nul({{"version", record.version},
                                {"reason", record.reason},
                                {"summary_json", record.summary_json}});
      !st.ok()) {
    return st;
  }
  if (record.blob.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::Invalid("postgresql: a model set blob must be smaller than 2 GiB", "blob");
  }
  auto turn = pglite_turn(url_);
  auto conn = blob_connection();
  if (!conn.ok()) return conn.status();
  PGconn* c = (*conn)->get();
  std::string created = std::to_string(record.created_us);
  // The blob travels as a binary bytea parameter: its bytes as they are, where the text
  // format would send an escaped copy twice its size.
  constexpr Oid kByteaOid = 17;
  const Oid types[] = {0, 0, 0, 0, 0, kByteaOid};
  const char* values[] = {record.version.c_str(), created.c_str(), record.rejected ? "t" : "f",
                          record.reason.c_str(), record.summary_json.c_str(), record.blob.data()};
  const int lengths[] = {0, 0, 0, 0, 0, static_cast<int>(record.blob.size())};
  const int formats[] = {0, 0, 0, 0, 0, 1};
  // One statement, so one transaction: the set is saved whole or not at all. On PGlite inside
  // BEGIN and COMMIT as well, so another process's statements cannot interleave (query()).
  const bool wrap = (*conn)->pglite();
  if (wrap) {
    if (Status st = exec_script(c, "BEGIN", "save model set"); !st.ok()) return st;
  }
  ReadTxn txn(c);
  if (!wrap) txn.done();
  Result r(PQexecParams(c,
                        "INSERT INTO model_sets (version, created_us, rejected, reason, "
                        "summary_json, blob) VALUES ($1, $2::int8, $3::bool, $4, $5, $6)",
                        6, types, values, lengths, formats, 0));
  if (!result_ok(r.get())) return pg_status(c, r.get(), "save model set", "version");
  if (wrap) {
    txn.done();
    return exec_script(c, "COMMIT", "save model set");
  }
  return Status::Ok();
}

StatusOr<std::vector<ModelSetRecord>> PostgresStore::list_model_sets() {
  std::vector<ModelSetRecord> out;
  // COLLATE "C": versions order by their bytes, as in SQLite, whatever the database's locale.
  Status st = query(
      "SELECT version, created_us, rejected, reason, summary_json FROM model_sets "
      "ORDER BY created_us DESC, version COLLATE \"C\" DESC",
      {}, "list model sets",
      [&](const PGresult* r, int i) { read_model_set(r, i, out.emplace_back()); });
  if (!st.ok()) return st;
  return out;
}

StatusOr<std::optional<ModelSetRecord>> PostgresStore::load_model_set(std::string_view version) {
  if (has_nul(version)) return std::optional<ModelSetRecord>();  // cannot be stored
  auto turn = pglite_turn(url_);
  auto conn = blob_connection();
  if (!conn.ok()) return conn.status();
  PGconn* c = (*conn)->get();
  // PGlite: inside a transaction, so another process's statements cannot interleave (query()).
  const bool wrap = (*conn)->pglite();
  if (wrap) {
    if (Status st = exec_script(c, "BEGIN READ ONLY", "load model set"); !st.ok()) return st;
  }
  ReadTxn txn(c);
  if (!wrap) txn.done();
  std::string v(version);
  const char* head_params[] = {v.c_str()};
  Result head(PQexecParams(c,
                           "SELECT version, created_us, rejected, reason, summary_json, "
                           "octet_length(blob) FROM model_sets WHERE version = $1",
                           1, nullptr, head_params, nullptr, nullptr, 0));
  if (!result_ok(head.get())) return pg_status(c, head.get(), "load model set");
  if (PQntuples(head.get()) == 0) return std::optional<ModelSetRecord>();
  std::optional<ModelSetRecord> found(std::in_place);
  read_model_set(head.get(), 0, *found);
  std::string& blob = found->blob;
  blob.resize(static_cast<size_t>(value_int(head.get(), 0, 5)));
  // In slices, each in binary result format (the bytes as they are, not hex text) and copied
  // straight into place: the whole blob in one result would be held three times at once
  // (libpq's input buffer, the result, the record). A set is immutable, so the slices agree.
  constexpr size_t kSlice = 4 << 20;
  std::string count = std::to_string(kSlice);
  for (size_t offset = 0; offset < blob.size(); offset += kSlice) {
    std::string from = std::to_string(offset + 1);  // substring() counts from 1
    const char* params[] = {v.c_str(), from.c_str(), count.c_str()};
    Result r(PQexecParams(c,
                          "SELECT substring(blob FROM $2::int4 FOR $3::int4) FROM model_sets "
                          "WHERE version = $1",
                          3, nullptr, params, nullptr, nullptr, /*resultFormat=*/1));
    if (!result_ok(r.get())) return pg_status(c, r.get(), "read model set blob");
    size_t want = std::min(kSlice, blob.size() - offset);
    size_t got = PQntuples(r.get()) == 1 ? static_cast<size_t>(PQgetlength(r.get(), 0, 0)) : 0;
    if (got != want) {
      return Status::Internal("postgresql: model set blob slice at " + std::to_string(offset) +
                              " has " + std::to_string(got) + " bytes, expected " +
                              std::to_string(want));
    }
    std::memcpy(blob.data() + offset, PQgetvalue(r.get(), 0, 0), got);
  }
  if (wrap) {
    txn.done();
    if (Status st = exec_script(c, "COMMIT", "load model set"); !st.ok()) return st;
  }
  return found;
}

Status PostgresStore::record_activation(const ModelActivation& activation) {
  if (Status st = check_no_nul({{"version", activation.version}, {"reason", activation.reason}});
      !st.ok()) {
    return st;
  }
  std::string at = std::to_string(activation.activated_us);
  return write_txn([&](Connection& conn) {
    return run(conn.get(),
               "INSERT INTO model_activations (version, activated_us, reason) "
               "VALUES ($1, $2::int8, $3)",
               {activation.version.c_str(), at.c_str(), activation.reason.c_str()},
               "record activation");
  });
}

StatusOr<std::vector<ModelActivation>> PostgresStore::activations() {
  std::vector<ModelActivation> out;
  Status st = query("SELECT id, version, activated_us, reason FROM model_activations ORDER BY id",
                    {}, "read activations", [&](const PGresult* r, int i) {
                      ModelActivation& a = out.emplace_back();
                      a.id = value_int(r, i, 0);
                      a.version.assign(value_view(r, i, 1));
                      a.activated_us = value_int(r, i, 2);
                      a.reason.assign(value_view(r, i, 3));
                    });
  if (!st.ok()) return st;
  return out;
}

Status PostgresStore::put_setting(std::string_view key, std::string_view value) {
  if (Status st = check_no_nul({{"key", key}, {"value", value}}); !st.ok()) return st;
  std::string k(key), v(value);
  return write_txn([&](Connection& conn) {
    return run(conn.get(),
               "INSERT INTO settings (key, value) VALUES ($1, $2) "
               "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
               {k.c_str(), v.c_str()}, "put setting");
  });
}

StatusOr<std::optional<std::string>> PostgresStore::get_setting(std::string_view key) {
  if (has_nul(key)) return std::optional<std::string>();  // cannot be stored
  std::string k(key);
  std::optional<std::string> value;
  Status st = query("SELECT value FROM settings WHERE key = $1", {k.c_str()}, "get setting",
                    [&](const PGresult* r, int i) { value.emplace(value_view(r, i, 0)); });
  if (!st.ok()) return st;
  return value;
}

Status PostgresStore::log_recommendations(std::span<const RecommendationLogRow> rows) {
  if (rows.empty()) return Status::Ok();
  // One statement, one round trip, whatever the number of rows: each column as one array.
  ArrayBuilder cols[9];
  for (const RecommendationLogRow& row : rows) {
    if (Status st = check_no_nul({{"recommendation_id", row.recommendation_id},
                                  {"mode", row.mode},
                                  {"model_version", row.model_version},
                                  {"chosen_agent", row.chosen_agent},
                                  {"model_agent", row.model_agent},
                                  {"rules_agent", row.rules_agent}});
        !st.ok()) {
      return st;
    }
    cols[0].text(row.recommendation_id);
    cols[1].int64(row.created_us);
    cols[2].text(row.mode);
    cols[3].text(row.model_version);
    cols[4].text(row.chosen_agent);
    cols[5].text(row.model_agent);
    cols[6].text(row.rules_agent);
    cols[7].dbl(row.propensity);
    cols[8].boolean(row.explored);
  }
  const char* params[9];
  for (int i = 0; i < 9; ++i) params[i] = cols[i].finish();
  return write_txn([&](Connection& conn) {
    return run(conn.get(),
               "INSERT INTO recommendation_log (recommendation_id, created_us, mode, "
               "model_version, chosen_agent, model_agent, rules_agent, propensity, explored) "
               "SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], "
               "$6::text[], $7::text[], $8::float8[], $9::bool[]) "
               "ON CONFLICT DO NOTHING",
               params, "log recommendations");
  });
}

Status PostgresStore::scan_logged_outcomes(
    const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) {
  // The execution columns first, as read_stored_row() expects them; the lateral subquery
  // takes the lowest id through executions_recommendation_idx (an equality implies the
  // index's IS NOT NULL). COLLATE "C": ties order by bytes, as in SQLite.
  std::string sql = std::string("SELECT e.*, l.recommendation_id, l.created_us, l.mode, ") +
                    "l.model_version, l.chosen_agent, l.model_agent, l.rules_agent, "
                    "l.propensity, l.explored "
                    "FROM recommendation_log AS l "
                    "CROSS JOIN LATERAL (SELECT " + kRowColumns + " FROM executions AS x "
                    "  WHERE x.recommendation_id = l.recommendation_id "
                    "  ORDER BY x.id LIMIT 1) AS e "
                    "ORDER BY l.created_us, l.recommendation_id COLLATE \"C\"";
  RecommendationLogRow log;
  StoredRow row;
  return stream(sql, {}, [&](const PGresult* r, int i) {
    read_stored_row(r, i, row);
    log.recommendation_id.assign(value_view(r, i, 18));
    log.created_us = value_int(r, i, 19);
    log.mode.assign(value_view(r, i, 20));
    log.model_version.assign(value_view(r, i, 21));
    log.chosen_agent.assign(value_view(r, i, 22));
    log.model_agent.assign(value_view(r, i, 23));
    log.rules_agent.assign(value_view(r, i, 24));
    log.propensity = value_double(r, i, 25);
    log.explored = value_bool(r, i, 26);
    fn(log, row);
  });
}

}  // namespace agentlearn

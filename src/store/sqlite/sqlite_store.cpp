#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <filesystem>
#include <functional>
#include <limits>
#include <string_view>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <utility>

namespace agentlearn {
namespace {

// Numbered migrations, applied in order, each in its own transaction and recorded in
// schema_migrations. Append new ones; never edit one that has shipped.
struct Migration {
  int version;
  const char* sql;
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
};

// The columns of a whole row, in the order read_stored_row() expects.
constexpr const char* kRowColumns =
    "id, execution_id, agent_id, task_id, task_description, task_type, execution_time, "
    "success, context, metrics, cost_usd, timestamp_us, timestamp_defaulted, "
    "recommendation_id, content_hash, received_us, anomaly_score, anomaly";

constexpr const char* kInsertSql =
    "INSERT INTO executions (execution_id, agent_id, task_id, task_description, task_type, "
    "execution_time, success, context, metrics, cost_usd, timestamp_us, timestamp_defaulted, "
    "recommendation_id, content_hash, received_us, anomaly_score, anomaly) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

struct BlobCloser {
  void operator()(sqlite3_blob* b) const { sqlite3_blob_close(b); }
};
using BlobPtr = std::unique_ptr<sqlite3_blob, BlobCloser>;

// Maps an SQLite result code to a Status. Lock contention, I/O errors and a full disk are
// "store unavailable" (503, worth a retry); a unique violation is a conflict on
// `conflict_field`; the rest are bugs or corruption.
Status sqlite_status(sqlite3* db, int rc, std::string_view what,
                     const char* conflict_field = "execution_id") {
  std::string msg = "sqlite: ";
  msg += what;
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
      return Status::Unavailable(std::move(msg));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::Conflict(std::move(msg), conflict_field);
      }
      return Status::Internal(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

Status exec(sqlite3* db, const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(db, rc, what);
  return Status::Ok();
}

StatusOr<StmtPtr> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  // PERSISTENT: these statements live as long as their connection.
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(db, rc, "prepare");
  return StmtPtr(raw);
}

// Resets a statement when the scope ends, so a half-read SELECT never keeps its read
// transaction (and the WAL snapshot) open, and bindings never leak into the next use.
class StmtScope {
 public:
  // `clear`: false only where every parameter is bound on every use (the insert), since
  // clearing 17 bindings per row is measurable at 100k+ rows/s.
  explicit StmtScope(sqlite3_stmt* s, bool clear = true) : s_(s), clear_(clear) {}
  ~StmtScope() {
    sqlite3_reset(s_);
    if (clear_) sqlite3_clear_bindings(s_);
  }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;

 private:
  sqlite3_stmt* s_;
  bool clear_;
};

// Bound text must outlive the step; every caller steps before the strings go away.
void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_opt_text(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
  if (v) {
    bind_text(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}
void bind_opt_double(sqlite3_stmt* s, int i, const std::optional<double>& v) {
  if (v) {
    sqlite3_bind_double(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

std::string_view column_view(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  if (p == nullptr) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(s, i))};
}
void read_opt_text(sqlite3_stmt* s, int i, std::optional<std::string>& out) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) {
    out.reset();
  } else {
    out.emplace(column_view(s, i));
  }
}
std::optional<double> column_opt_double(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(s, i);
}

// Fills `row` from a statement selecting kRowColumns. Reuses the strings' capacity.
void read_stored_row(sqlite3_stmt* s, StoredRow& row) {
  Execution& e = row.execution;
  row.id = sqlite3_column_int64(s, 0);
  read_opt_text(s, 1, e.execution_id);
  e.agent_id.assign(column_view(s, 2));
  e.task_id.assign(column_view(s, 3));
  read_opt_text(s, 4, e.task_description);
  read_opt_text(s, 5, e.task_type);
  e.execution_time = sqlite3_column_double(s, 6);
  e.success = sqlite3_column_int(s, 7) != 0;
  e.context_json.assign(column_view(s, 8));
  e.metrics_json.assign(column_view(s, 9));
  e.cost_usd = column_opt_double(s, 10);
  e.timestamp_us = sqlite3_column_int64(s, 11);
  e.timestamp_defaulted = sqlite3_column_int(s, 12) != 0;
  read_opt_text(s, 13, e.recommendation_id);
  e.content_hash.assign(column_view(s, 14));
  row.received_us = sqlite3_column_int64(s, 15);
  row.anomaly_score = column_opt_double(s, 16);
  if (sqlite3_column_type(s, 17) == SQLITE_NULL) {
    row.anomaly.reset();
  } else {
    row.anomaly = sqlite3_column_int(s, 17) != 0;
  }
  e.anomaly_score = row.anomaly_score;
  e.anomaly = row.anomaly;
}

// A negative LIMIT means no limit in SQLite; 0 means no limit to our callers.
void bind_limit(sqlite3_stmt* s, int i, size_t limit) {
  sqlite3_bind_int64(s, i, limit == 0 ? -1 : static_cast<sqlite3_int64>(limit));
}

// Binds a page of embedding rows: ?1 after_id, ?2 version (outlives the step), ?3 limit.
std::function<void(sqlite3_stmt*)> bind_page(int64_t after_id, std::string_view version, size_t limit) {
  return [=](sqlite3_stmt* s) {
    sqlite3_bind_int64(s, 1, after_id);
    bind_text(s, 2, version);
    bind_limit(s, 3, limit);
  };
}

// Fills `out` (but its blob) from a statement whose first columns are version, created_us,
// rejected, reason, summary_json.
void read_model_set(sqlite3_stmt* s, ModelSetRecord& out) {
  out.version.assign(column_view(s, 0));
  out.created_us = sqlite3_column_int64(s, 1);
  out.rejected = sqlite3_column_int(s, 2) != 0;
  out.reason.assign(column_view(s, 3));
  out.summary_json.assign(column_view(s, 4));
}

// SQLite's memory statistics take a global mutex around every allocation it makes; we never
// read them. Must be set before SQLite initialises, hence the first open; a process that
// already uses SQLite elsewhere keeps its setting (sqlite3_config then reports MISUSE).
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

StatusOr<DbPtr> open_connection(const std::string& name, bool uri, const SqliteOptions& options) {
  configure_sqlite_once();
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (the pool and the writer's
  // single-thread contract guarantee it), so SQLite's own per-call mutex is pure overhead.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (uri) flags |= SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return sqlite_status(db.get(), rc, "open");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  // synchronous=FULL is the durability contract: in WAL mode every commit fsyncs the WAL.
  // mmap_size=0 keeps resident memory to the page cache we size ourselves.
  std::string pragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA mmap_size=0; "
                        "PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-" +
                        std::to_string(options.cache_kib) + ";";
  if (Status st = exec(db.get(), pragmas.c_str(), "configure connection"); !st.ok()) return st;
  return db;
}

StatusOr<bool> migration_applied(sqlite3* db, int version) {
  auto stmt = prepare(db, "SELECT 1 FROM schema_migrations WHERE version = ?1");
  if (!stmt.ok()) return stmt.status();
  sqlite3_bind_int(stmt->get(), 1, version);
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_status(db, rc, "read schema_migrations");
}

// Rolls back on scope exit unless released; used by migrate().
class TxnGuard {
 public:
  explicit TxnGuard(sqlite3* db) : db_(db) {}
  ~TxnGuard() {
    if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  void release() { db_ = nullptr; }
  TxnGuard(const TxnGuard&) = delete;
  TxnGuard& operator=(const TxnGuard&) = delete;

 private:
  sqlite3* db_;
};

class SqliteWriter final : public StoreWriter {
 public:
  static StatusOr<std::unique_ptr<StoreWriter>> create(const std::string& name, bool uri,
                                                       const SqliteOptions& options) {
    auto db = open_connection(name, uri, options);
    if (!db.ok()) return db.status();
    auto w = std::unique_ptr<SqliteWriter>(new SqliteWriter(std::move(db).value()));
    sqlite3* raw = w->db_.get();
    // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads first and
    // writes later can fail with SQLITE_BUSY_SNAPSHOT instead of waiting.
    struct {
      StmtPtr* slot;
      const char* sql;
    } stmts[] = {
        {&w->begin_, "BEGIN IMMEDIATE"},
        {&w->commit_, "COMMIT"},
        {&w->rollback_, "ROLLBACK"},
        {&w->find_, "SELECT id, content_hash FROM executions WHERE execution_id = ?1"},
        {&w->insert_, kInsertSql},
    };
    for (auto& s : stmts) {
      auto p = prepare(raw, s.sql);
      if (!p.ok()) {
        return Status(p.status().code(),
                      p.status().message() + " (has migrate() run on this database?)");
      }
      *s.slot = std::move(p).value();
    }
    return std::unique_ptr<StoreWriter>(std::move(w));
  }

  ~SqliteWriter() override {
    rollback();
    // Statements must go before the connection (sqlite3_close_v2 would defer, but be tidy).
    begin_.reset();
    commit_.reset();
    rollback_.reset();
    find_.reset();
    insert_.reset();
  }

  Status begin() override {
    // A transaction left open by a failed group is abandoned: nothing in it was acknowledged.
    rollback();
    return step_done(begin_.get(), "begin");
  }

  Status commit() override {
    Status st = step_done(commit_.get(), "commit");
    // A failed COMMIT (e.g. SQLITE_BUSY) can leave the transaction open; the caller's
    // rollback() closes it, and so does the next begin() check.
    return st;
  }

  void rollback() override {
    if (sqlite3_get_autocommit(db_.get()) != 0) return;  // nothing open (or auto-rolled back)
    StmtScope scope(rollback_.get());
    sqlite3_step(rollback_.get());
  }

  Status find_existing(std::span<const std::string> ids,
                       std::vector<std::optional<ExistingExecution>>& out) override {
    out.assign(ids.size(), std::nullopt);
    sqlite3_stmt* s = find_.get();
    for (size_t i = 0; i < ids.size(); ++i) {
      StmtScope scope(s);
      bind_text(s, 1, ids[i]);
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        out[i] = ExistingExecution{sqlite3_column_int64(s, 0), std::string(column_view(s, 1))};
      } else if (rc != SQLITE_DONE) {
        return sqlite_status(db_.get(), rc, "find existing executions");
      }
    }
    return Status::Ok();
  }

  Status insert(std::span<const Execution* const> rows, int64_t received_us,
                std::vector<int64_t>& ids_out) override {
    ids_out.clear();
    ids_out.reserve(rows.size());
    sqlite3_stmt* s = insert_.get();
    for (const Execution* e : rows) {
      StmtScope scope(s, /*clear=*/false);
      bind_opt_text(s, 1, e->execution_id);
      bind_text(s, 2, e->agent_id);
      bind_text(s, 3, e->task_id);
      bind_opt_text(s, 4, e->task_description);
      bind_opt_text(s, 5, e->task_type);
      sqlite3_bind_double(s, 6, e->execution_time);
      sqlite3_bind_int(s, 7, e->success ? 1 : 0);
      bind_text(s, 8, e->context_json);
      bind_text(s, 9, e->metrics_json);
      bind_opt_double(s, 10, e->cost_usd);
      sqlite3_bind_int64(s, 11, e->timestamp_us);
      sqlite3_bind_int(s, 12, e->timestamp_defaulted ? 1 : 0);
      bind_opt_text(s, 13, e->recommendation_id);
      bind_text(s, 14, e->content_hash);
      sqlite3_bind_int64(s, 15, received_us);
      bind_opt_double(s, 16, e->anomaly_score);
      if (e->anomaly) {
        sqlite3_bind_int(s, 17, *e->anomaly ? 1 : 0);
      } else {
        sqlite3_bind_null(s, 17);
      }
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, "insert execution");
      ids_out.push_back(sqlite3_last_insert_rowid(db_.get()));
    }
    return Status::Ok();
  }

 private:
  explicit SqliteWriter(DbPtr db) : db_(std::move(db)) {}

  Status step_done(sqlite3_stmt* s, std::string_view what) {
    StmtScope scope(s);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return sqlite_status(db_.get(), rc, what);
    return Status::Ok();
  }

  DbPtr db_;
  StmtPtr begin_, commit_, rollback_, find_, insert_;
};

std::string memdb_name() {
  // A leading '/' makes a memdb database shared by every connection of this process that
  // names it, with ordinary file locking between them; the counter keeps stores apart.
  static std::atomic<uint64_t> counter{0};
  return "file:/agentlearn-mem-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "?vfs=memdb";
}

}  // namespace

struct SqliteStore::Connection {
  DbPtr db;
  std::unordered_map<std::string, StmtPtr> stmts;

  // Prepared once per connection and SQL text; the handful of filter shapes is small.
  StatusOr<sqlite3_stmt*> stmt(const std::string& sql) {
    auto it = stmts.find(sql);
    if (it != stmts.end()) return it->second.get();
    auto p = prepare(db.get(), sql);
    if (!p.ok()) return p.status();
    sqlite3_stmt* raw = p->get();
    stmts.emplace(sql, std::move(p).value());
    return raw;
  }

  // Runs a statement that returns no rows; `bind` sets its parameters.
  Status run(const std::string& sql, std::string_view what,
             const std::function<void(sqlite3_stmt*)>& bind,
             const char* conflict_field = "execution_id") {
    auto s = stmt(sql);
    if (!s.ok()) return s.status();
    StmtScope scope(*s);
    bind(*s);
    int rc = sqlite3_step(*s);
    if (rc != SQLITE_DONE) return sqlite_status(db.get(), rc, what, conflict_field);
    return Status::Ok();
  }

  ~Connection() { stmts.clear(); }  // statements before the connection
};

// Returns its reader to the pool when it goes out of scope.
class SqliteStore::ReaderLease {
 public:
  ReaderLease(SqliteStore* store, std::unique_ptr<Connection> r) : store_(store), r_(std::move(r)) {}
  ReaderLease(ReaderLease&& o) noexcept : store_(o.store_), r_(std::move(o.r_)) {}
  ReaderLease& operator=(ReaderLease&&) = delete;
  ~ReaderLease() {
    if (r_) store_->release_reader(std::move(r_));
  }
  Connection* operator->() const { return r_.get(); }

 private:
  SqliteStore* store_;
  std::unique_ptr<Connection> r_;
};

SqliteStore::SqliteStore(std::string path, std::string open_name, bool uri, SqliteOptions options)
    : path_(std::move(path)), open_name_(std::move(open_name)), uri_(uri), options_(options) {
  if (options_.read_pool_size == 0) options_.read_pool_size = 1;
}

SqliteStore::~SqliteStore() {
  idle_readers_.clear();
  write_conn_.reset();
  // Leased readers cannot exist here: a lease lives inside a call on this store.
  if (control_ != nullptr) sqlite3_close_v2(control_);
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                         SqliteOptions options) {
  if (path.empty()) return Status::Invalid("sqlite: empty database path");
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return Status::Unavailable("sqlite: cannot create directory " + p.parent_path().string() +
                                 ": " + ec.message());
    }
  }
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(path, path, false, options));
  if (Status st = store->init(); !st.ok()) {
    return Status(st.code(), st.message() + " (" + path + ")");
  }
  return store;
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::open_memory(SqliteOptions options) {
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(":memory:", memdb_name(), true, options));
  if (Status st = store->init(); !st.ok()) return st;
  return store;
}

Status SqliteStore::init() {
  auto db = open_connection(open_name_, uri_, options_);
  if (!db.ok()) return db.status();
  if (!uri_) {
    // WAL is persistent in the file; readers then never block the writer nor it them.
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db->get(), "PRAGMA journal_mode=WAL", -1, &raw, nullptr);
    StmtPtr s(raw);
    if (rc != SQLITE_OK) return sqlite_status(db->get(), rc, "enable WAL");
    rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return sqlite_status(db->get(), rc, "enable WAL");
    std::string_view mode = column_view(s.get(), 0);
    if (mode != "wal") {
      return Status::Unavailable("sqlite: could not enable WAL mode (journal_mode is " +
                                 std::string(mode) + ")");
    }
  }
  control_ = db->release();
  return Status::Ok();
}

Status SqliteStore::migrate() {
  std::lock_guard lock(control_mu_);
  sqlite3* db = control_;
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
    auto applied = migration_applied(db, m.version);
    if (!applied.ok()) return applied.status();
    if (*applied) continue;  // guard rolls back the empty transaction
    if (Status st = exec(db, m.sql, "migration " + std::to_string(m.version)); !st.ok()) return st;
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

Status SqliteStore::ping() {
  std::lock_guard lock(control_mu_);
  // Reads the schema cookie from the file header: proves the file is still readable.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(control_, "PRAGMA schema_version", -1, &raw, nullptr);
  StmtPtr s(raw);
  if (rc != SQLITE_OK) return sqlite_status(control_, rc, "ping");
  rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) return sqlite_status(control_, rc, "ping");
  return Status::Ok();
}

StatusOr<std::unique_ptr<StoreWriter>> SqliteStore::open_writer() {
  return SqliteWriter::create(open_name_, uri_, options_);
}

StatusOr<SqliteStore::ReaderLease> SqliteStore::acquire_reader() {
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] {
      return !idle_readers_.empty() || open_readers_ < options_.read_pool_size;
    });
    if (!idle_readers_.empty()) {
      auto r = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(this, std::move(r));
    }
    ++open_readers_;  // reserve the slot, open outside the lock
  }
  auto db = open_connection(open_name_, uri_, options_);
  // Readers never write; query_only turns such a bug into an error instead of a write.
  Status st = db.ok() ? exec(db->get(), "PRAGMA query_only=1", "configure reader") : db.status();
  if (!st.ok()) {
    std::lock_guard lock(pool_mu_);
    --open_readers_;
    pool_cv_.notify_one();
    return st;
  }
  auto r = std::make_unique<Connection>();
  r->db = std::move(db).value();
  return ReaderLease(this, std::move(r));
}

void SqliteStore::release_reader(std::unique_ptr<Connection> reader) {
  std::lock_guard lock(pool_mu_);
  idle_readers_.push_back(std::move(reader));
  pool_cv_.notify_one();
}

Status SqliteStore::query(const std::string& sql, std::string_view what,
                          const std::function<void(sqlite3_stmt*)>& bind,
                          const std::function<void(sqlite3_stmt*)>& row) {
  auto lease = acquire_reader();
  if (!lease.ok()) return lease.status();
  auto st = (*lease)->stmt(sql);
  if (!st.ok()) return st.status();
  sqlite3_stmt* s = *st;
  StmtScope scope(s);
  bind(s);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  if (rc != SQLITE_DONE) return sqlite_status((*lease)->db.get(), rc, what);
  return Status::Ok();
}

Status SqliteStore::write(const std::function<Status(Connection&)>& fn) {
  std::lock_guard lock(write_mu_);
  if (!write_conn_) {
    auto db = open_connection(open_name_, uri_, options_);
    if (!db.ok()) return db.status();
    write_conn_ = std::make_unique<Connection>();
    write_conn_->db = std::move(db).value();
  }
  sqlite3* db = write_conn_->db.get();
  // IMMEDIATE: wait (busy_timeout) for the group writer's lock up front, rather than fail
  // with SQLITE_BUSY_SNAPSHOT when a read turns into a write.
  if (Status st = exec(db, "BEGIN IMMEDIATE", "begin"); !st.ok()) return st;
  TxnGuard guard(db);
  if (Status st = fn(*write_conn_); !st.ok()) return st;
  if (Status st = exec(db, "COMMIT", "commit"); !st.ok()) return st;
  guard.release();
  return Status::Ok();
}

StatusOr<int64_t> SqliteStore::count_executions() {
  int64_t count = 0;
  Status st = query(
      "SELECT count(*) FROM executions", "count executions", [](sqlite3_stmt*) {},
      [&](sqlite3_stmt* s) { count = sqlite3_column_int64(s, 0); });
  if (!st.ok()) return st;
  return count;
}

Status SqliteStore::scan_stats(const ExecutionFilter& filter,
                               const std::function<void(const StatsRow&)>& fn) {
  // Only the shape of the SQL depends on the filter; every value is bound.
  std::string sql =
      "SELECT agent_id, execution_time, success, timestamp_us, cost_usd, anomaly "
      "FROM executions WHERE 1=1";
  if (filter.since_us) sql += " AND timestamp_us >= ?1";
  if (filter.until_us) sql += " AND timestamp_us < ?2";
  if (filter.task_type) sql += " AND task_type = ?3";
  if (filter.agent_id) sql += " AND agent_id = ?4";

  StatsRow row;
  return query(
      sql, "scan executions",
      [&](sqlite3_stmt* s) {
        if (filter.since_us) sqlite3_bind_int64(s, 1, *filter.since_us);
        if (filter.until_us) sqlite3_bind_int64(s, 2, *filter.until_us);
        if (filter.task_type) bind_text(s, 3, *filter.task_type);
        if (filter.agent_id) bind_text(s, 4, *filter.agent_id);
      },
      [&](sqlite3_stmt* s) {
        row.agent_id = column_view(s, 0);
        row.execution_time = sqlite3_column_double(s, 1);
        row.success = sqlite3_column_int(s, 2) != 0;
        row.timestamp_us = sqlite3_column_int64(s, 3);
        row.cost_usd = column_opt_double(s, 4);
        row.anomaly = sqlite3_column_int(s, 5) != 0;  // NULL (not scored) reads as 0
        fn(row);
      });
}

Status SqliteStore::scan_executions(int64_t after_id, size_t limit,
                                    const std::function<void(const StoredRow&)>& fn) {
  StoredRow row;
  return query(
      std::string("SELECT ") + kRowColumns + " FROM executions WHERE id > ?1 ORDER BY id LIMIT ?2",
      "scan executions",
      [&](sqlite3_stmt* s) {
        sqlite3_bind_int64(s, 1, after_id);
        bind_limit(s, 2, limit);
      },
      [&](sqlite3_stmt* s) {
        read_stored_row(s, row);
        fn(row);
      });
}

StatusOr<std::optional<StoredRow>> SqliteStore::find_execution(std::string_view execution_id) {
  std::optional<StoredRow> found;
  Status st = query(
      std::string("SELECT ") + kRowColumns + " FROM executions WHERE execution_id = ?1",
      "find execution", [&](sqlite3_stmt* s) { bind_text(s, 1, execution_id); },
      [&](sqlite3_stmt* s) { read_stored_row(s, found.emplace()); });
  if (!st.ok()) return st;
  return found;
}

Status SqliteStore::scan_anomalies(std::optional<int64_t> since_us, size_t limit,
                                   const std::function<void(const StoredRow&)>& fn) {
  // `anomaly = 1` is the partial index's own condition: the planner walks only the flagged
  // rows, newest first, with or without `since`.
  std::string sql = std::string("SELECT ") + kRowColumns + " FROM executions WHERE anomaly = 1";
  if (since_us) sql += " AND timestamp_us >= ?2";
  sql += " ORDER BY id DESC LIMIT ?1";
  StoredRow row;
  return query(
      sql, "scan anomalies",
      [&](sqlite3_stmt* s) {
        bind_limit(s, 1, limit);
        if (since_us) sqlite3_bind_int64(s, 2, *since_us);
      },
      [&](sqlite3_stmt* s) {
        read_stored_row(s, row);
        fn(row);
      });
}

// --- task embeddings -------------------------------------------------------------------------

Status SqliteStore::save_embeddings(std::span<const EmbeddingRecord> rows) {
  if (rows.empty()) return Status::Ok();
  return write([&](Connection& c) -> Status {
    for (const EmbeddingRecord& r : rows) {
      Status st = c.run(
          "INSERT INTO embeddings (id, task_key, version, vector) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (id) DO UPDATE SET task_key = excluded.task_key, "
          "version = excluded.version, vector = excluded.vector",
          "save embedding", [&](sqlite3_stmt* s) {
            sqlite3_bind_int64(s, 1, r.id);
            sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(r.task_key));
            bind_text(s, 3, r.version);
            sqlite3_bind_blob(s, 4, r.vector.data(), static_cast<int>(r.vector.size() * sizeof(float)),
                              SQLITE_STATIC);
          });
      if (!st.ok()) return st;
    }
    return Status::Ok();
  });
}

Status SqliteStore::scan_embeddings(std::string_view version, int64_t after_id, size_t limit,
                                    const std::function<void(const EmbeddingRecord&)>& fn) {
  EmbeddingRecord row;
  return query(
      "SELECT m.id, m.task_key, m.vector, e.task_id FROM embeddings AS m "
      "JOIN executions AS e ON e.id = m.id "
      "WHERE m.id > ?1 AND m.version = ?2 ORDER BY m.id LIMIT ?3",
      "scan embeddings", bind_page(after_id, version, limit),
      [&](sqlite3_stmt* s) {
        row.id = sqlite3_column_int64(s, 0);
        row.task_key = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
        const void* blob = sqlite3_column_blob(s, 2);
        size_t n = static_cast<size_t>(sqlite3_column_bytes(s, 2)) / sizeof(float);
        row.vector.resize(n);
        if (n > 0) std::memcpy(row.vector.data(), blob, n * sizeof(float));
        row.task_id.assign(column_view(s, 3));
        row.version.assign(version);
        fn(row);
      });
}

Status SqliteStore::scan_unembedded(std::string_view version, int64_t after_id, size_t limit,
                                    const std::function<void(const TextRow&)>& fn) {
  TextRow row;
  return query(
      "SELECT e.id, e.task_id, e.task_description FROM executions AS e "
      "LEFT JOIN embeddings AS m ON m.id = e.id "
      "WHERE e.id > ?1 AND e.task_description IS NOT NULL "
      "AND (m.id IS NULL OR m.version <> ?2) ORDER BY e.id LIMIT ?3",
      "scan executions to embed", bind_page(after_id, version, limit),
      [&](sqlite3_stmt* s) {
        row.id = sqlite3_column_int64(s, 0);
        row.task_id = column_view(s, 1);
        row.description = column_view(s, 2);
        fn(row);
      });
}

StatusOr<int64_t> SqliteStore::count_embedded_tasks(std::string_view version, int64_t max_id) {
  int64_t count = 0;
  Status st = query(
      "SELECT count(DISTINCT task_key) FROM embeddings WHERE version = ?1 AND id <= ?2",
      "count embedded tasks",
      [&](sqlite3_stmt* s) {
        bind_text(s, 1, version);
        sqlite3_bind_int64(s, 2, max_id);
      },
      [&](sqlite3_stmt* s) { count = sqlite3_column_int64(s, 0); });
  if (!st.ok()) return st;
  return count;
}

StatusOr<std::vector<TaskRuns>> SqliteStore::task_runs(std::span<const uint64_t> task_keys,
                                                       size_t runs_per_task) {
  std::vector<TaskRuns> out;
  if (task_keys.empty()) return out;
  // One statement shape per key count; callers ask for a handful of tasks.
  std::string sql =
      "SELECT m.task_key, e.task_id, e.task_description, e.agent_id, e.success, "
      "e.execution_time FROM embeddings AS m JOIN executions AS e ON e.id = m.id "
      "WHERE m.task_key IN (";
  for (size_t i = 0; i < task_keys.size(); ++i) sql += i == 0 ? "?" : ",?";
  sql += ") ORDER BY m.task_key, m.id";
  std::unordered_map<uint64_t, size_t> slot;
  Status st = query(
      sql, "read task runs",
      [&](sqlite3_stmt* s) {
        for (size_t i = 0; i < task_keys.size(); ++i) {
          sqlite3_bind_int64(s, static_cast<int>(i + 1), static_cast<sqlite3_int64>(task_keys[i]));
        }
      },
      [&](sqlite3_stmt* s) {
        auto key = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
        auto [it, fresh] = slot.emplace(key, out.size());
        if (fresh) {
          TaskRuns& t = out.emplace_back();
          t.task_key = key;
          t.task_id.assign(column_view(s, 1));
          t.description.assign(column_view(s, 2));
        }
        TaskRuns& t = out[it->second];
        ++t.total_runs;
        if (t.runs.size() >= runs_per_task) return;
        TaskRun& r = t.runs.emplace_back();
        r.agent_id.assign(column_view(s, 3));
        r.success = sqlite3_column_int(s, 4) != 0;
        r.execution_time = sqlite3_column_double(s, 5);
      });
  if (!st.ok()) return st;
  return out;
}

StatusOr<std::vector<TaskMatch>> SqliteStore::nearest_tasks(std::span<const float>, std::string_view,
                                                            size_t) {
  return Status::Invalid(
      "source=database needs PostgreSQL with the vector extension (pgvector); the SQLite "
      "store keeps embeddings as blobs and searches them in the service",
      "source");
}

Status SqliteStore::save_model_set(const ModelSetRecord& record) {
  if (record.blob.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::Invalid("sqlite: a model set blob must be smaller than 2 GiB", "blob");
  }
  return write([&](Connection& c) -> Status {
    // The row with a zero blob of the right size, then the bytes written into it in place:
    // a bound blob would first be copied whole into the row's record (measured on 50 MB:
    // peak memory +58 MB that way, +8 MB this way, in about the same time).
    Status st = c.run(
        "INSERT INTO model_sets (version, created_us, rejected, reason, summary_json, blob) "
        "VALUES (?1, ?2, ?3, ?4, ?5, zeroblob(?6))",
        "save model set",
        [&](sqlite3_stmt* s) {
          bind_text(s, 1, record.version);
          sqlite3_bind_int64(s, 2, record.created_us);
          sqlite3_bind_int(s, 3, record.rejected ? 1 : 0);
          bind_text(s, 4, record.reason);
          bind_text(s, 5, record.summary_json);
          sqlite3_bind_int64(s, 6, static_cast<sqlite3_int64>(record.blob.size()));
        },
        "version");
    if (!st.ok() || record.blob.empty()) return st;
    sqlite3* db = c.db.get();
    sqlite3_blob* raw = nullptr;
    int rc = sqlite3_blob_open(db, "main", "model_sets", "blob", sqlite3_last_insert_rowid(db),
                               /*writable=*/1, &raw);
    BlobPtr blob(raw);
    if (rc != SQLITE_OK) return sqlite_status(db, rc, "open model set blob");
    rc = sqlite3_blob_write(raw, record.blob.data(), static_cast<int>(record.blob.size()), 0);
    if (rc != SQLITE_OK) return sqlite_status(db, rc, "write model set blob");
    return Status::Ok();
  });
}

StatusOr<std::vector<ModelSetRecord>> SqliteStore::list_model_sets() {
  std::vector<ModelSetRecord> out;
  Status st = query(
      "SELECT version, created_us, rejected, reason, summary_json FROM model_sets "
      "ORDER BY created_us DESC, version DESC",
      "list model sets", [](sqlite3_stmt*) {},
      [&](sqlite3_stmt* s) { read_model_set(s, out.emplace_back()); });
  if (!st.ok()) return st;
  return out;
}

StatusOr<std::optional<ModelSetRecord>> SqliteStore::load_model_set(std::string_view version) {
  std::optional<ModelSetRecord> found;
  Status blob_st;
  Status st = query(
      "SELECT version, created_us, rejected, reason, summary_json, rowid FROM model_sets "
      "WHERE version = ?1",
      "load model set", [&](sqlite3_stmt* s) { bind_text(s, 1, version); },
      [&](sqlite3_stmt* s) {
        read_model_set(s, found.emplace());
        // Read in place into the record: sqlite3_column_blob() would first load the whole
        // blob into a buffer of SQLite's own (measured on 50 MB: peak memory +108 MB that
        // way, +58 MB this way). The row is immutable, so a second look at it is safe.
        sqlite3* db = sqlite3_db_handle(s);
        sqlite3_blob* raw = nullptr;
        int rc = sqlite3_blob_open(db, "main", "model_sets", "blob", sqlite3_column_int64(s, 5),
                                   /*writable=*/0, &raw);
        BlobPtr blob(raw);
        if (rc != SQLITE_OK) {
          blob_st = sqlite_status(db, rc, "open model set blob");
          return;
        }
        found->blob.resize(static_cast<size_t>(sqlite3_blob_bytes(raw)));
        rc = sqlite3_blob_read(raw, found->blob.data(), static_cast<int>(found->blob.size()), 0);
        if (rc != SQLITE_OK) blob_st = sqlite_status(db, rc, "read model set blob");
      });
  if (!st.ok()) return st;
  if (!blob_st.ok()) return blob_st;
  return found;
}

Status SqliteStore::record_activation(const ModelActivation& activation) {
  return write([&](Connection& c) {
    return c.run(
        "INSERT INTO model_activations (version, activated_us, reason) VALUES (?1, ?2, ?3)",
        "record activation", [&](sqlite3_stmt* s) {
          bind_text(s, 1, activation.version);
          sqlite3_bind_int64(s, 2, activation.activated_us);
          bind_text(s, 3, activation.reason);
        });
  });
}

StatusOr<std::vector<ModelActivation>> SqliteStore::activations() {
  std::vector<ModelActivation> out;
  Status st = query(
      "SELECT id, version, activated_us, reason FROM model_activations ORDER BY id",
      "read activations", [](sqlite3_stmt*) {},
      [&](sqlite3_stmt* s) {
        ModelActivation& a = out.emplace_back();
        a.id = sqlite3_column_int64(s, 0);
        a.version.assign(column_view(s, 1));
        a.activated_us = sqlite3_column_int64(s, 2);
        a.reason.assign(column_view(s, 3));
      });
  if (!st.ok()) return st;
  return out;
}

Status SqliteStore::put_setting(std::string_view key, std::string_view value) {
  return write([&](Connection& c) {
    return c.run(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        "put setting", [&](sqlite3_stmt* s) {
          bind_text(s, 1, key);
          bind_text(s, 2, value);
        });
  });
}

StatusOr<std::optional<std::string>> SqliteStore::get_setting(std::string_view key) {
  std::optional<std::string> value;
  Status st = query(
      "SELECT value FROM settings WHERE key = ?1", "get setting",
      [&](sqlite3_stmt* s) { bind_text(s, 1, key); },
      [&](sqlite3_stmt* s) { value.emplace(column_view(s, 0)); });
  if (!st.ok()) return st;
  return value;
}

Status SqliteStore::log_recommendations(std::span<const RecommendationLogRow> rows) {
  if (rows.empty()) return Status::Ok();
  return write([&](Connection& c) -> Status {
    for (const RecommendationLogRow& r : rows) {
      Status st = c.run(
          "INSERT INTO recommendation_log (recommendation_id, created_us, mode, model_version, "
          "chosen_agent, model_agent, rules_agent, propensity, explored) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
          "log recommendation", [&](sqlite3_stmt* s) {
            bind_text(s, 1, r.recommendation_id);
            sqlite3_bind_int64(s, 2, r.created_us);
            bind_text(s, 3, r.mode);
            bind_text(s, 4, r.model_version);
            bind_text(s, 5, r.chosen_agent);
            bind_text(s, 6, r.model_agent);
            bind_text(s, 7, r.rules_agent);
            sqlite3_bind_double(s, 8, r.propensity);
            sqlite3_bind_int(s, 9, r.explored ? 1 : 0);
          });
      if (!st.ok()) return st;
    }
    return Status::Ok();
  });
}

Status SqliteStore::scan_logged_outcomes(
    const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) {
  // The execution columns come first, as read_stored_row() expects them. The subquery finds
  // the lowest id through executions_recommendation_idx (an equality implies the index's
  // IS NOT NULL).
  std::string sql = std::string("SELECT e.*, l.recommendation_id, l.created_us, l.mode, ") +
                    "l.model_version, l.chosen_agent, l.model_agent, l.rules_agent, "
                    "l.propensity, l.explored "
                    "FROM recommendation_log AS l "
                    "JOIN (SELECT " + kRowColumns + " FROM executions) AS e "
                    "ON e.id = (SELECT min(x.id) FROM executions AS x "
                    "           WHERE x.recommendation_id = l.recommendation_id) "
                    "ORDER BY l.created_us, l.recommendation_id";
  RecommendationLogRow log;
  StoredRow row;
  return query(
      sql, "scan logged outcomes", [](sqlite3_stmt*) {},
      [&](sqlite3_stmt* s) {
        read_stored_row(s, row);
        log.recommendation_id.assign(column_view(s, 18));
        log.created_us = sqlite3_column_int64(s, 19);
        log.mode.assign(column_view(s, 20));
        log.model_version.assign(column_view(s, 21));
        log.chosen_agent.assign(column_view(s, 22));
        log.model_agent.assign(column_view(s, 23));
        log.rules_agent.assign(column_view(s, 24));
        log.propensity = sqlite3_column_double(s, 25);
        log.explored = sqlite3_column_int(s, 26) != 0;
        fn(log, row);
      });
}

}  // namespace agentlearn

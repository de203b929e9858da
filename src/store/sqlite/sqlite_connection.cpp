#include "store/sqlite/sqlite_connection.hpp"

#include <algorithm>
#include <iterator>
#include <mutex>

namespace agentlearn::sqlite_impl {

Status sqlite_status(sqlite3* db, int rc, std::string_view what, const char* conflict_field) {
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

std::function<void(sqlite3_stmt*)> bind_page(int64_t after_id, std::string_view version, size_t limit) {
  return [=](sqlite3_stmt* s) {
    sqlite3_bind_int64(s, 1, after_id);
    bind_text(s, 2, version);
    bind_limit(s, 3, limit);
  };
}

namespace {

// SQLite's memory statistics take a global mutex around every allocation it makes; we never
// read them. Must be set before SQLite initialises, hence the first open; a process that
// already uses SQLite elsewhere keeps its setting (sqlite3_config then reports MISUSE).
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

// SQLite's own busy handler (sqlite3_busy_timeout) with SqliteOptions::on_busy called first:
// the same waits (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms), until the timeout.
int busy_with_hook(void* arg, int count) {
  const auto* options = static_cast<const SqliteOptions*>(arg);
  if (count == 0) options->on_busy();
  static constexpr int kDelays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  constexpr int kSteps = static_cast<int>(std::size(kDelays));
  int waited = 0;
  for (int i = 0; i < count && i < kSteps; ++i) waited += kDelays[i];
  if (count > kSteps) waited += (count - kSteps) * kDelays[kSteps - 1];
  if (waited >= options->busy_timeout_ms) return 0;
  const int delay = std::min(count < kSteps ? kDelays[count] : kDelays[kSteps - 1], options->busy_timeout_ms - waited);
  sqlite3_sleep(delay);
  return 1;
}

}  // namespace

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
  if (options.on_busy) {
    sqlite3_busy_handler(db.get(), busy_with_hook, const_cast<SqliteOptions*>(&options));
  } else {
    sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  }
  // synchronous=FULL is the durability contract: in WAL mode every commit fsyncs the WAL.
  // mmap_size=0 keeps resident memory to the page cache we size ourselves, and is faster
  // while anything writes: SQLite drops a connection's whole mapping (and its page cache)
  // when a read transaction finds another connection's commit, so with ingest running every
  // analytics read remapped the file and faulted its pages in again (2.7x the CPU of pread,
  // measured on 1,000,000 executions with ~200 records/s beside).
  std::string pragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA mmap_size=0; "
                        "PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-" +
                        std::to_string(options.cache_kib) + ";";
  if (Status st = exec(db.get(), pragmas.c_str(), "configure connection"); !st.ok()) return st;
  if (Status st = register_analytics_functions(db.get()); !st.ok()) return st;
  return db;
}

}  // namespace agentlearn::sqlite_impl

namespace agentlearn {

using namespace sqlite_impl;

StatusOr<sqlite3_stmt*> SqlitePool::Connection::stmt(const std::string& sql) {
  auto it = stmts.find(sql);
  if (it != stmts.end()) return it->second.get();
  auto p = prepare(db.get(), sql);
  if (!p.ok()) return p.status();
  sqlite3_stmt* raw = p->get();
  stmts.emplace(sql, std::move(p).value());
  return raw;
}

Status SqlitePool::Connection::run(const std::string& sql, std::string_view what,
                                    const std::function<void(sqlite3_stmt*)>& bind,
                                    const char* conflict_field) {
  auto s = stmt(sql);
  if (!s.ok()) return s.status();
  StmtScope scope(*s);
  bind(*s);
  int rc = sqlite3_step(*s);
  if (rc != SQLITE_DONE) return sqlite_status(db.get(), rc, what, conflict_field);
  return Status::Ok();
}

}  // namespace agentlearn

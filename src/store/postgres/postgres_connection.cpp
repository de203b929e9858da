#include "store/postgres/postgres_connection.hpp"

#include <poll.h>

#include <chrono>
#include <cstdio>
#include <random>

namespace agentlearn::pg_impl {

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

namespace {

bool sqlstate_is(const char* state, std::string_view code) {
  return state != nullptr && std::string_view(state) == code;
}
bool sqlstate_class(const char* state, std::string_view cls) {
  return state != nullptr && std::string_view(state).substr(0, 2) == cls;
}

}  // namespace

// Maps a failed command to a Status. Anything that means "the server is not there or not
// able right now" is kUnavailable (503, worth a retry); a unique violation is kConflict on
// `conflict_field`; rejected data is kInvalidArgument; the rest are bugs.
Status pg_status(PGconn* conn, const PGresult* r, std::string_view what, const char* conflict_field) {
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

Status exec_script(PGconn* c, const std::string& sql, std::string_view what) {
  Result r(PQexec(c, sql.c_str()));
  if (!result_ok(r.get())) return pg_status(c, r.get(), what);
  return Status::Ok();
}

namespace {

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

}  // namespace

}  // namespace agentlearn::pg_impl

namespace agentlearn {

using namespace pg_impl;

void PostgresPool::Connection::drop() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
}

Status PostgresPool::Connection::ensure() {
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
  // Doubles travel as text: extra_float_digits 3 makes the server send the shortest text that
  // reads back to the same bits whatever its configured default (0 loses digits). The same
  // round trip asks whether the server is PGlite.
  Result r(PQexec(conn_, "SELECT strpos(version(), 'PGlite') > 0, "
                         "CASE WHEN current_setting('synchronous_commit') = 'off' "
                         "THEN set_config('synchronous_commit', 'on', false) END, "
                         "set_config('extra_float_digits', '3', false)"));
  if (!result_ok(r.get()) || PQntuples(r.get()) != 1) {
    Status st = pg_status(conn_, r.get(), "configure session");
    drop();
    return st;
  }
  dialect_.learn(value_bool(r.get(), 0, 0));
  suffix_ = next_statement_suffix();
  return Status::Ok();
}

Status PostgresPool::Connection::prepare(const char* name, const char* sql) {
  if (prepared_.count(name) != 0) return Status::Ok();
  Result r(PQprepare(conn_, statement(name).c_str(), sql, 0, nullptr));
  if (!result_ok(r.get())) return pg_status(conn_, r.get(), std::string("prepare ") + name);
  prepared_.insert(name);
  return Status::Ok();
}

Status PostgresPool::Connection::ping(int timeout_ms, bool& timed_out) {
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

}  // namespace agentlearn

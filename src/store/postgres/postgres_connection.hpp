#pragma once
// The PostgreSQL backend's own plumbing, shared by its files and by no one else: results and
// their errors as Status, reading text results, the NUL check, one libpq
// connection (PostgresPool::Connection), read transactions and cursors, and the factories of
// the aggregates the store is composed of.
#include <libpq-fe.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/execution.hpp"
#include "store/analytics_store.hpp"
#include "store/execution_store.hpp"
#include "store/model_store.hpp"
#include "store/recommendation_log_store.hpp"
#include "store/setting_store.hpp"
#include "store/postgres/postgres_pool.hpp"

namespace agentlearn::pg_impl {

using Connection = PostgresPool::Connection;

// The aggregates over one pool (postgres_<aggregate>.cpp), in the order PostgresStore
// composes them, and the group writer's connection (postgres_writer.cpp).
std::unique_ptr<ExecutionStore> postgres_executions(PostgresPool& pool);
std::unique_ptr<ModelStore> postgres_models(PostgresPool& pool);
std::unique_ptr<EmbeddingStore> postgres_embeddings(PostgresPool& pool);
std::unique_ptr<SettingStore> postgres_settings(PostgresPool& pool);
std::unique_ptr<RecommendationLogStore> postgres_recommendation_log(PostgresPool& pool);
std::unique_ptr<AnalyticsStore> postgres_analytics(PostgresPool& pool);
StatusOr<std::unique_ptr<StoreWriter>> open_postgres_writer(PostgresPool& pool);

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// libpq messages end in newlines and sometimes span lines; a Status message is one line.
std::string one_line(const char* text);

// Maps a failed command to a Status. Anything that means "the server is not there or not
// able right now" is kUnavailable (503, worth a retry); a unique violation is kConflict on
// `conflict_field`; rejected data is kInvalidArgument; the rest are bugs.
Status pg_status(PGconn* conn, const PGresult* r, std::string_view what,
                 const char* conflict_field = "execution_id");

inline bool result_ok(const PGresult* r) {
  ExecStatusType s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

// Text parameters travel as C strings, so a NUL byte would silently cut the value short.
// PostgreSQL cannot store NUL in text or JSONB anyway; refuse it before it reaches the wire.
inline bool has_nul(std::string_view v) { return v.find('\0') != std::string_view::npos; }

// The first of `fields` (name, value) that holds a NUL, refused; Ok when none does.
Status check_no_nul(std::initializer_list<std::pair<const char*, std::string_view>> fields);
Status check_no_nul(const Execution& e);

// --- reading text results ---------------------------------------------------------------

inline std::string_view value_view(const PGresult* r, int row, int col) {
  return {PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col))};
}
inline int64_t value_int(const PGresult* r, int row, int col) {
  std::string_view v = value_view(r, row, col);
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}
inline double value_double(const PGresult* r, int row, int col) {
  std::string_view v = value_view(r, row, col);
  double out = 0;
  // float8 prints Infinity/-Infinity/NaN; from_chars reads them (case-insensitive).
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}
inline bool value_bool(const PGresult* r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }
inline bool is_null(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }

// A result row as store/row_codec.hpp reads it.
struct PgRow {
  const PGresult* r;
  int row;
  bool null(int col) const { return is_null(r, row, col); }
  int64_t int64(int col) const { return value_int(r, row, col); }
  double real(int col) const { return value_double(r, row, col); }
  bool boolean(int col) const { return value_bool(r, row, col); }
  std::string_view text(int col) const { return value_view(r, row, col); }
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
                   const std::function<void(const PGresult*, int)>& on_row);

// Analytics cells (postgres_analytics.cpp): adding deltas to the cells of table `table`
// (under an advisory transaction lock) and migration 6's backfill.
Status upsert_cells(PGconn* c, const analytics::CellDeltas& deltas, std::string_view table);
// Fills the (empty) cells from the stored executions in range (migration 6).
Status backfill_cells(PGconn* c);

// Runs a statement that returns no rows, with text parameters (nullptr is NULL).
template <size_t N>
Status run(PGconn* c, const char* sql, const char* const (&params)[N], std::string_view what) {
  Result r(PQexecParams(c, sql, static_cast<int>(N), nullptr, params, nullptr, nullptr, 0));
  if (!result_ok(r.get())) return pg_status(c, r.get(), what);
  return Status::Ok();
}

Status exec_script(PGconn* c, const std::string& sql, std::string_view what);

}  // namespace agentlearn::pg_impl

namespace agentlearn {

class PostgresPool::Connection {
 public:
  Connection(const std::string& url, const std::string& target, const PostgresOptions& options,
             PostgresDialect& dialect)
      : url_(url), target_(target), options_(options), dialect_(dialect) {}
  ~Connection() { drop(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }
  const std::string& url() const { return url_; }
  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

  // The store's dialect, which this connection's connects taught what the server is.
  PostgresDialect& dialect() const { return dialect_; }
  bool pglite() const { return dialect_.pglite(); }

  void drop();

  // Connects if there is no usable connection. Bounded by connect_timeout.
  Status ensure();

  // The name `name` is prepared under on this connection (see next_statement_suffix()).
  std::string statement(const char* name) const { return name + suffix_; }

  // Prepares a named statement once per connection (again after a reconnect).
  Status prepare(const char* name, const char* sql);

  // SELECT 1 with a deadline: a server that accepts TCP but never answers must not hang
  // the health check. On timeout the connection is dropped (its state is unknown).
  Status ping(int timeout_ms, bool& timed_out);

 private:
  std::string url_;
  std::string target_;
  PostgresOptions options_;
  PGconn* conn_ = nullptr;
  std::unordered_set<std::string> prepared_;
  std::string suffix_;  // of prepared statement names, new for each connect
  PostgresDialect& dialect_;
};

}  // namespace agentlearn

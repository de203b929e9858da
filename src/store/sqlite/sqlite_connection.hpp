#pragma once
// The SQLite backend's own plumbing, shared by its files and by no one else: result codes to
// Status, prepared statements and their reset, binding and reading values, opening a
// connection, SqlitePool::Connection (one connection and its statement cache), and the
// factories of the aggregates the store is composed of.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/analytics_store.hpp"
#include "store/embedding_store.hpp"
#include "store/execution_store.hpp"
#include "store/model_store.hpp"
#include "store/recommendation_log_store.hpp"
#include "store/setting_store.hpp"
#include "store/sqlite/sqlite_pool.hpp"

namespace agentlearn::sqlite_impl {

using Connection = SqlitePool::Connection;

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
                     const char* conflict_field = "execution_id");

Status exec(sqlite3* db, const char* sql, std::string_view what);

// A statement that lives as long as its connection.
StatusOr<StmtPtr> prepare(sqlite3* db, std::string_view sql);

// Opens a connection configured for the store (durability, cache size, busy timeout).
StatusOr<DbPtr> open_connection(const std::string& name, bool uri, const SqliteOptions& options);

// Analytics cells (sqlite_analytics.cpp): the SQL functions every connection gets
// (agentlearn_sketch_merge), the upsert into the cells table `table`, and migration 6's
// backfill.
Status register_analytics_functions(sqlite3* db);
std::string upsert_cell_sql(std::string_view table);
Status upsert_cells(sqlite3* db, sqlite3_stmt* upsert, const analytics::CellDeltas& deltas);
// Fills the (empty) cells from the stored executions in range (migration 6).
Status backfill_cells(sqlite3* db);

// The aggregates over one pool (sqlite_<aggregate>.cpp), in the order SqliteStore composes
// them. The executions' writes go through the group writer's connection (sqlite_writer.cpp),
// which also stores embeddings inside its transactions.
std::unique_ptr<ExecutionStore> sqlite_executions(SqlitePool& pool);
StatusOr<std::unique_ptr<StoreWriter>> open_sqlite_writer(const SqlitePool& pool);
std::unique_ptr<ModelStore> sqlite_models(SqlitePool& pool);
std::unique_ptr<EmbeddingStore> sqlite_embeddings(SqlitePool& pool);
std::unique_ptr<SettingStore> sqlite_settings(SqlitePool& pool);
std::unique_ptr<RecommendationLogStore> sqlite_recommendation_log(SqlitePool& pool);
std::unique_ptr<AnalyticsStore> sqlite_analytics(SqlitePool& pool);

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

// Rolls back on scope exit unless released.
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

// Bound text must outlive the step; every caller steps before the strings go away.
inline void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_opt_text(sqlite3_stmt* s, int i, const std::optional<std::string>& v);
void bind_opt_double(sqlite3_stmt* s, int i, const std::optional<double>& v);
// A negative LIMIT means no limit in SQLite; 0 means no limit to our callers.
inline void bind_limit(sqlite3_stmt* s, int i, size_t limit) {
  sqlite3_bind_int64(s, i, limit == 0 ? -1 : static_cast<sqlite3_int64>(limit));
}
// Binds a page of rows: ?1 after_id, ?2 version (outlives the step), ?3 limit.
std::function<void(sqlite3_stmt*)> bind_page(int64_t after_id, std::string_view version, size_t limit);

inline std::string_view column_view(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  if (p == nullptr) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(s, i))};
}

// Inserts or replaces one execution's embedding (the store's save_embeddings and the group
// writer's); bind_embedding sets its parameters, the vector's bytes in place (they must
// outlive the step).
extern const char* const kSaveEmbeddingSql;
void bind_embedding(sqlite3_stmt* s, const EmbeddingRecord& r);

// A result row as store/row_codec.hpp reads it.
struct SqliteRow {
  sqlite3_stmt* s;
  bool null(int i) const { return sqlite3_column_type(s, i) == SQLITE_NULL; }
  int64_t int64(int i) const { return sqlite3_column_int64(s, i); }
  double real(int i) const { return sqlite3_column_double(s, i); }
  bool boolean(int i) const { return sqlite3_column_int(s, i) != 0; }
  std::string_view text(int i) const { return column_view(s, i); }
  std::string_view blob(int i) const {
    const void* p = sqlite3_column_blob(s, i);  // before _bytes, as SQLite asks
    return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, i))};
  }
};

}  // namespace agentlearn::sqlite_impl

namespace agentlearn {

struct SqlitePool::Connection {
  sqlite_impl::DbPtr db;
  std::unordered_map<std::string, sqlite_impl::StmtPtr> stmts;

  // Prepared once per connection and SQL text; the handful of filter shapes is small.
  StatusOr<sqlite3_stmt*> stmt(const std::string& sql);

  // Runs a statement that returns no rows; `bind` sets its parameters.
  Status run(const std::string& sql, std::string_view what,
             const std::function<void(sqlite3_stmt*)>& bind,
             const char* conflict_field = "execution_id");

  // run() once per row, `bind` setting the parameters from the row.
  template <typename T, typename Bind>
  Status run_each(std::span<const T> rows, const std::string& sql, std::string_view what, Bind&& bind) {
    for (const T& row : rows) {
      if (Status st = run(sql, what, [&](sqlite3_stmt* s) { bind(s, row); }); !st.ok()) return st;
    }
    return Status::Ok();
  }

  ~Connection() { stmts.clear(); }  // statements before the connection
};

template <typename T, typename Bind>
Status SqlitePool::write_each(std::span<const T> rows, const std::string& sql, std::string_view what,
                               Bind&& bind) {
  if (rows.empty()) return Status::Ok();
  return write([&](Connection& c) { return c.run_each(rows, sql, what, bind); });
}

}  // namespace agentlearn

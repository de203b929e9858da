// SQLite: reading the executions (the group writer writes them, sqlite_writer.cpp).
#include <string>

#include "store/over_pool.hpp"
#include "store/row_codec.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;
using namespace store_codec;

namespace {

// Reads of the executions, each on a pooled reader (WAL: readers never wait for the
// writer). The group writer writes them on a connection of its own, opened here
// (sqlite_writer.cpp).
class SqliteExecutions final : public ExecutionStore, OverPool<SqlitePool> {
 public:
  using OverPool::OverPool;

  StatusOr<std::unique_ptr<StoreWriter>> open_writer() override { return open_sqlite_writer(pool_); }

  StatusOr<int64_t> count_executions() override {
    int64_t count = 0;
    Status st = pool_.query(
        "SELECT count(*) FROM executions", "count executions", [](sqlite3_stmt*) {},
        [&](sqlite3_stmt* s) { count = sqlite3_column_int64(s, 0); });
    if (!st.ok()) return st;
    return count;
  }

  Status scan_executions(int64_t after_id, size_t limit,
                         const std::function<void(const StoredRow&)>& fn) override {
    StoredRow row;
    return pool_.query(
        std::string("SELECT ") + kStoredRowColumns + " FROM executions WHERE id > ?1 ORDER BY id LIMIT ?2",
        "scan executions",
        [&](sqlite3_stmt* s) {
          sqlite3_bind_int64(s, 1, after_id);
          bind_limit(s, 2, limit);
        },
        [&](sqlite3_stmt* s) {
          decode_stored_row(SqliteRow{s}, row);
          fn(row);
        });
  }

  StatusOr<std::optional<StoredRow>> find_execution(std::string_view execution_id) override {
    std::optional<StoredRow> found;
    Status st = pool_.query(
        std::string("SELECT ") + kStoredRowColumns + " FROM executions WHERE execution_id = ?1",
        "find execution", [&](sqlite3_stmt* s) { bind_text(s, 1, execution_id); },
        [&](sqlite3_stmt* s) { decode_stored_row(SqliteRow{s}, found.emplace()); });
    if (!st.ok()) return st;
    return found;
  }

  Status scan_anomalies(std::optional<int64_t> since_us, size_t limit,
                        const std::function<void(const StoredRow&)>& fn) override {
    // `anomaly = 1` is the partial index's own condition: the planner walks only the flagged
    // rows, newest first, with or without `since`.
    std::string sql = std::string("SELECT ") + kStoredRowColumns + " FROM executions WHERE anomaly = 1";
    if (since_us) sql += " AND timestamp_us >= ?2";
    sql += " ORDER BY id DESC LIMIT ?1";
    StoredRow row;
    return pool_.query(
        sql, "scan anomalies",
        [&](sqlite3_stmt* s) {
          bind_limit(s, 1, limit);
          if (since_us) sqlite3_bind_int64(s, 2, *since_us);
        },
        [&](sqlite3_stmt* s) {
          decode_stored_row(SqliteRow{s}, row);
          fn(row);
        });
  }
};

}  // namespace

std::unique_ptr<ExecutionStore> sqlite_impl::sqlite_executions(SqlitePool& pool) { return std::make_unique<SqliteExecutions>(pool); }

}  // namespace agentlearn

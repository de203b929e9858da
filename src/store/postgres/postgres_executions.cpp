// PostgreSQL: reading the executions (the group writer writes them, postgres_writer.cpp).
#include <string>
#include <vector>

#include "store/over_pool.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/row_codec.hpp"

namespace agentlearn {

using namespace pg_impl;
using store_codec::decode_stored_row;
using store_codec::kStoredRowColumns;

namespace {

// Reads of the executions, streamed through cursors; the group writer writes them on its
// own connection (postgres_writer.cpp).
class PostgresExecutions final : public ExecutionStore, OverPool<PostgresPool> {
 public:
  using OverPool::OverPool;

  StatusOr<int64_t> count_executions() override {
    int64_t count = 0;
    Status st = pool_.query("SELECT count(*) FROM executions", {}, "count executions",
                            [&](const PGresult* r, int i) { count = value_int(r, i, 0); });
    if (!st.ok()) return st;
    return count;
  }

  StatusOr<std::unique_ptr<StoreWriter>> open_writer() override { return open_postgres_writer(pool_); }

  Status scan_executions(int64_t after_id, size_t limit,
                         const std::function<void(const StoredRow&)>& fn) override {
    std::string sql = std::string("SELECT ") + kStoredRowColumns +
                      " FROM executions WHERE id > $1::int8 ORDER BY id LIMIT $2::int8";
    std::string after = std::to_string(after_id);
    std::string lim = std::to_string(limit);
    // LIMIT NULL is no limit.
    const char* params[] = {after.c_str(), limit == 0 ? nullptr : lim.c_str()};
    StoredRow row;
    return pool_.stream(sql, params, [&](const PGresult* r, int i) {
      decode_stored_row(PgRow{r, i}, row);
      fn(row);
    });
  }

  StatusOr<std::optional<StoredRow>> find_execution(std::string_view execution_id) override {
    if (has_nul(execution_id)) return std::optional<StoredRow>();  // cannot be stored
    std::string id(execution_id);
    std::string sql = std::string("SELECT ") + kStoredRowColumns + " FROM executions WHERE execution_id = $1";
    std::optional<StoredRow> found;
    Status st = pool_.query(sql.c_str(), {id.c_str()}, "find execution", [&](const PGresult* r, int i) {
      decode_stored_row(PgRow{r, i}, found.emplace());
    });
    if (!st.ok()) return st;
    return found;
  }

  Status scan_anomalies(std::optional<int64_t> since_us, size_t limit,
                        const std::function<void(const StoredRow&)>& fn) override {
    // `WHERE anomaly` is the partial index's own condition: the planner walks it newest first.
    std::string sql = std::string("SELECT ") + kStoredRowColumns + " FROM executions WHERE anomaly";
    std::string lim = std::to_string(limit);
    std::string since = since_us ? std::to_string(*since_us) : "";
    std::vector<const char*> params = {limit == 0 ? nullptr : lim.c_str()};  // LIMIT NULL: all
    if (since_us) {
      sql += " AND timestamp_us >= $2::int8";
      params.push_back(since.c_str());
    }
    sql += " ORDER BY id DESC LIMIT $1::int8";
    StoredRow row;
    return pool_.stream(sql, params, [&](const PGresult* r, int i) {
      decode_stored_row(PgRow{r, i}, row);
      fn(row);
    });
  }
};

}  // namespace

std::unique_ptr<ExecutionStore> pg_impl::postgres_executions(PostgresPool& pool) { return std::make_unique<PostgresExecutions>(pool); }

}  // namespace agentlearn

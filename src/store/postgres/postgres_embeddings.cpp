// PostgreSQL: task embeddings (pgvector's vector(256), or real[]) and the similar-task queries.
#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "store/over_pool.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/postgres/postgres_text_format.hpp"
#include "store/row_codec.hpp"

namespace agentlearn {

using namespace pg_impl;
using namespace store_codec;

namespace {

// Embeddings as pgvector's vector(256) with an HNSW index, or real[] without the extension.
class PostgresEmbeddings final : public EmbeddingStore, OverPool<PostgresPool> {
 public:
  using OverPool::OverPool;

  VectorStorage vector_storage() const override { return pool_.vector_storage(); }

  Status save_embeddings(std::span<const EmbeddingRecord> rows) override {
    if (rows.empty()) return Status::Ok();
    for (const EmbeddingRecord& r : rows) {
      if (Status st = check_no_nul({{"version", r.version}}); !st.ok()) return st;
    }
    VectorStorage storage = pool_.vector_storage();
    std::string sql = std::string(
                          "INSERT INTO embeddings (id, task_key, version, embedding) "
                          "VALUES ($1::int8, $2::int8, $3, $4::") +
                      (storage == VectorStorage::kPgvector ? "vector" : "real[]") +
                      ") ON CONFLICT (id) DO UPDATE SET task_key = excluded.task_key, "
                      "version = excluded.version, embedding = excluded.embedding";
    std::string id, key, vec;
    return pool_.write_txn([&](Connection& conn) -> Status {
      PGconn* c = conn.get();
      for (const EmbeddingRecord& r : rows) {
        id = std::to_string(r.id);
        key = std::to_string(static_cast<int64_t>(r.task_key));
        vec.clear();
        append_vector_text(vec, r.vector, storage == VectorStorage::kPgvector);
        const char* params[] = {id.c_str(), key.c_str(), r.version.c_str(), vec.c_str()};
        if (Status st = run(c, sql.c_str(), params, "save embedding"); !st.ok()) return st;
      }
      return Status::Ok();
    });
  }

  Status scan_embeddings(std::string_view version, int64_t after_id, size_t limit,
                         const std::function<void(const EmbeddingRecord&)>& fn) override {
    // real[] reads back as "{...}" and vector as "[...]"; parse_vector_text takes either.
    std::string sql =
        "SELECT m.id, m.task_key, m.embedding::text, e.task_id FROM embeddings AS m "
        "JOIN executions AS e ON e.id = m.id "
        "WHERE m.id > $1::int8 AND m.version = $2 ORDER BY m.id LIMIT $3::int8";
    EmbeddingRecord row;
    row.version = version;
    bool bad = false;
    Status st = pool_.stream_page(sql, version, after_id, limit, [&](const PGresult* r, int i) {
      PgRow cols{r, i};
      decode_embedding_row(cols, row);
      if (!parse_vector_text(cols.text(2), row.vector)) {
        bad = true;
        return;
      }
      fn(row);
    });
    if (st.ok() && bad) return Status::Internal("postgresql: an embedding could not be parsed");
    return st;
  }

  Status scan_unembedded(std::string_view version, int64_t after_id, size_t limit,
                         const std::function<void(const TextRow&)>& fn) override {
    std::string sql =
        "SELECT e.id, e.task_id, e.task_description FROM executions AS e "
        "LEFT JOIN embeddings AS m ON m.id = e.id "
        "WHERE e.id > $1::int8 AND e.task_description IS NOT NULL "
        "AND (m.id IS NULL OR m.version <> $2) ORDER BY e.id LIMIT $3::int8";
    TextRow row;
    return pool_.stream_page(sql, version, after_id, limit, [&](const PGresult* r, int i) {
      decode_text_row(PgRow{r, i}, row);
      fn(row);
    });
  }

  StatusOr<int64_t> count_embedded_tasks(std::string_view version, int64_t max_id) override {
    if (has_nul(version)) return int64_t{0};
    std::string ver(version);
    std::string max = std::to_string(max_id);
    int64_t count = 0;
    Status st = pool_.query(
        "SELECT count(DISTINCT task_key) FROM embeddings "
        "WHERE version = $1 AND id <= $2::int8",
        {ver.c_str(), max.c_str()}, "count embedded tasks",
        [&](const PGresult* r, int i) { count = value_int(r, i, 0); });
    if (!st.ok()) return st;
    return count;
  }

  StatusOr<std::vector<TaskRuns>> task_runs(std::span<const uint64_t> task_keys,
                                            size_t runs_per_task) override {
    static const std::string sql = task_runs_sql("= ANY($1::int8[])");
    return collect_task_runs(task_keys, runs_per_task, [&](TaskRunsGrouper& tasks) {
      ArrayBuilder keys;
      for (uint64_t key : task_keys) keys.int64(static_cast<int64_t>(key));
      return pool_.query(sql.c_str(), {keys.finish()}, "read task runs", [&](const PGresult* r, int i) {
        tasks.add(PgRow{r, i});
      });
    });
  }

  StatusOr<std::vector<TaskMatch>> nearest_tasks(std::span<const float> query_vector,
                                                 std::string_view version, size_t k) override {
    if (pool_.vector_storage() != VectorStorage::kPgvector) {
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
    append_vector_text(vec, query_vector, /*brackets=*/true);
    std::string ef = "SET LOCAL hnsw.ef_search = " + std::to_string(std::max<size_t>(rows, 40));
    std::unordered_set<uint64_t> seen;
    Status st = pool_.write_txn([&](Connection& conn) -> Status {
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
};

}  // namespace

std::unique_ptr<EmbeddingStore> pg_impl::postgres_embeddings(PostgresPool& pool) { return std::make_unique<PostgresEmbeddings>(pool); }

}  // namespace agentlearn

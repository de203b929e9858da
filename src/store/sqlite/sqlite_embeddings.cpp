// SQLite: task embeddings, a BLOB of floats per execution, and the similar-task queries.
#include <string>

#include "store/over_pool.hpp"
#include "store/row_codec.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;
using namespace store_codec;

namespace {

// Pages: ?1 after_id, ?2 version, ?3 limit (bind_page()).
constexpr const char* kScanSql =
    "SELECT m.id, m.task_key, m.vector, e.task_id FROM embeddings AS m "
    "JOIN executions AS e ON e.id = m.id "
    "WHERE m.id > ?1 AND m.version = ?2 ORDER BY m.id LIMIT ?3";
constexpr const char* kUnembeddedSql =
    "SELECT e.id, e.task_id, e.task_description FROM executions AS e "
    "LEFT JOIN embeddings AS m ON m.id = e.id "
    "WHERE e.id > ?1 AND e.task_description IS NOT NULL "
    "AND (m.id IS NULL OR m.version <> ?2) ORDER BY e.id LIMIT ?3";

}  // namespace

namespace sqlite_impl {

const char* const kSaveEmbeddingSql =
    "INSERT INTO embeddings (id, task_key, version, vector) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (id) DO UPDATE SET task_key = excluded.task_key, "
    "version = excluded.version, vector = excluded.vector";

void bind_embedding(sqlite3_stmt* s, const EmbeddingRecord& r) {
  sqlite3_bind_int64(s, 1, r.id);
  sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(r.task_key));
  bind_text(s, 3, r.version);
  std::string_view bytes = float_bytes(r.vector);
  sqlite3_bind_blob(s, 4, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
}

}  // namespace sqlite_impl

namespace {

// Embeddings as BLOBs of floats; the similar-task search is the service's own index.
class SqliteEmbeddings final : public EmbeddingStore, OverPool<SqlitePool> {
 public:
  using OverPool::OverPool;

  VectorStorage vector_storage() const override { return VectorStorage::kBlob; }

  Status save_embeddings(std::span<const EmbeddingRecord> rows) override {
    return pool_.write_each(rows, kSaveEmbeddingSql, "save embedding", bind_embedding);
  }

  Status scan_embeddings(std::string_view version, int64_t after_id, size_t limit,
                         const std::function<void(const EmbeddingRecord&)>& fn) override {
    EmbeddingRecord row;
    return pool_.query(kScanSql, "scan embeddings", bind_page(after_id, version, limit),
                       [&](sqlite3_stmt* s) {
                         SqliteRow cols{s};
                         decode_embedding_row(cols, row);
                         floats_from_bytes(cols.blob(2), row.vector);
                         row.version.assign(version);
                         fn(row);
                       });
  }

  Status scan_unembedded(std::string_view version, int64_t after_id, size_t limit,
                         const std::function<void(const TextRow&)>& fn) override {
    TextRow row;
    return pool_.query(kUnembeddedSql, "scan executions to embed", bind_page(after_id, version, limit),
                       [&](sqlite3_stmt* s) {
                         decode_text_row(SqliteRow{s}, row);
                         fn(row);
                       });
  }

  StatusOr<int64_t> count_embedded_tasks(std::string_view version, int64_t max_id) override {
    int64_t count = 0;
    Status st = pool_.query(
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

  StatusOr<std::vector<TaskRuns>> task_runs(std::span<const uint64_t> task_keys,
                                            size_t runs_per_task) override {
    return collect_task_runs(task_keys, runs_per_task, [&](TaskRunsGrouper& tasks) {
      // One statement shape per key count; callers ask for a handful of tasks.
      std::string in = "IN (";
      for (size_t i = 0; i < task_keys.size(); ++i) in += i == 0 ? "?" : ",?";
      in += ')';
      return pool_.query(
          task_runs_sql(in), "read task runs",
          [&](sqlite3_stmt* s) {
            for (size_t i = 0; i < task_keys.size(); ++i) {
              sqlite3_bind_int64(s, static_cast<int>(i + 1), static_cast<sqlite3_int64>(task_keys[i]));
            }
          },
          [&](sqlite3_stmt* s) { tasks.add(SqliteRow{s}); });
    });
  }

  StatusOr<std::vector<TaskMatch>> nearest_tasks(std::span<const float>, std::string_view, size_t) override {
    return Status::Invalid(
        "source=database needs PostgreSQL with the vector extension (pgvector); the SQLite "
        "store keeps embeddings as blobs and searches them in the service",
        "source");
  }
};

}  // namespace

std::unique_ptr<EmbeddingStore> sqlite_impl::sqlite_embeddings(SqlitePool& pool) { return std::make_unique<SqliteEmbeddings>(pool); }

}  // namespace agentlearn

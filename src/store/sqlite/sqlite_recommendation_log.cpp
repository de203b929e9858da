// SQLite: the recommendation log and its outcomes.
#include <string>

#include "store/over_pool.hpp"
#include "store/row_codec.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace agentlearn {

using namespace sqlite_impl;
using namespace store_codec;

constexpr const char* kLogSql =
    "INSERT INTO recommendation_log (recommendation_id, created_us, mode, model_version, "
    "chosen_agent, model_agent, rules_agent, propensity, explored) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING";

namespace {

// The recommendation log, one statement per row in one transaction.
class SqliteRecommendationLog final : public RecommendationLogStore, OverPool<SqlitePool> {
 public:
  using OverPool::OverPool;

  Status log_recommendations(std::span<const RecommendationLogRow> rows) override {
    return pool_.write_each(rows, kLogSql, "log recommendation",
                            [](sqlite3_stmt* s, const RecommendationLogRow& r) {
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
  }

  Status scan_logged_outcomes(
      const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) override {
    // min(x.id) is found through executions_recommendation_idx (an equality implies the
    // index's IS NOT NULL).
    static const std::string sql = logged_outcomes_sql(std::string("JOIN (SELECT ") + kStoredRowColumns +
                                                           " FROM executions) AS e ON e.id = "
                                                           "(SELECT min(x.id) FROM executions AS x "
                                                           "WHERE x.recommendation_id = l.recommendation_id)",
                                                       "");
    LoggedOutcomes outcomes(fn);
    return pool_.query(
        sql, "scan logged outcomes", [](sqlite3_stmt*) {},
        [&](sqlite3_stmt* s) { outcomes.add(SqliteRow{s}); });
  }
};

}  // namespace

std::unique_ptr<RecommendationLogStore> sqlite_impl::sqlite_recommendation_log(SqlitePool& pool) { return std::make_unique<SqliteRecommendationLog>(pool); }

}  // namespace agentlearn

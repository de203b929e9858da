// PostgreSQL: the recommendation log and its outcomes.
#include <string>

#include "store/over_pool.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/postgres/postgres_text_format.hpp"
#include "store/row_codec.hpp"

namespace agentlearn {

using namespace pg_impl;
using namespace store_codec;

namespace {

// The recommendation log, every row of a call in one multi-row statement.
class PostgresRecommendationLog final : public RecommendationLogStore, OverPool<PostgresPool> {
 public:
  using OverPool::OverPool;

  Status log_recommendations(std::span<const RecommendationLogRow> rows) override {
    if (rows.empty()) return Status::Ok();
    // One statement, one round trip, whatever the number of rows: each column as one array.
    ArrayBuilder cols[9];
    for (const RecommendationLogRow& row : rows) {
      if (Status st = check_no_nul({{"recommendation_id", row.recommendation_id},
                                    {"mode", row.mode},
                                    {"model_version", row.model_version},
                                    {"chosen_agent", row.chosen_agent},
                                    {"model_agent", row.model_agent},
                                    {"rules_agent", row.rules_agent}});
          !st.ok()) {
        return st;
      }
      cols[0].text(row.recommendation_id);
      cols[1].int64(row.created_us);
      cols[2].text(row.mode);
      cols[3].text(row.model_version);
      cols[4].text(row.chosen_agent);
      cols[5].text(row.model_agent);
      cols[6].text(row.rules_agent);
      cols[7].dbl(row.propensity);
      cols[8].boolean(row.explored);
    }
    const char* params[9];
    for (int i = 0; i < 9; ++i) params[i] = cols[i].finish();
    return pool_.write_txn([&](Connection& conn) {
      return run(conn.get(),
                 "INSERT INTO recommendation_log (recommendation_id, created_us, mode, "
                 "model_version, chosen_agent, model_agent, rules_agent, propensity, explored) "
                 "SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], "
                 "$6::text[], $7::text[], $8::float8[], $9::bool[]) "
                 "ON CONFLICT DO NOTHING",
                 params, "log recommendations");
    });
  }

  Status scan_logged_outcomes(
      const std::function<void(const RecommendationLogRow&, const StoredRow&)>& fn) override {
    // The lateral subquery takes the lowest id through executions_recommendation_idx (an
    // equality implies the index's IS NOT NULL). COLLATE "C": ties order by bytes, as in SQLite.
    static const std::string sql =
        logged_outcomes_sql(std::string("CROSS JOIN LATERAL (SELECT ") + kStoredRowColumns +
                                " FROM executions AS x "
                                "  WHERE x.recommendation_id = l.recommendation_id "
                                "  ORDER BY x.id LIMIT 1) AS e",
                            " COLLATE \"C\"");
    LoggedOutcomes outcomes(fn);
    return pool_.stream(sql, {}, [&](const PGresult* r, int i) { outcomes.add(PgRow{r, i}); });
  }
};

}  // namespace

std::unique_ptr<RecommendationLogStore> pg_impl::postgres_recommendation_log(PostgresPool& pool) { return std::make_unique<PostgresRecommendationLog>(pool); }

}  // namespace agentlearn

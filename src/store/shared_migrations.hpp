#pragma once
// SQL text that both backends' migrations share, written once and typed per backend. A
// migration that has shipped never changes what it does: these are literals, not derived
// from today's limits or today's cells.
#include <cstdint>
#include <string>

#include "core/status.hpp"

namespace agentlearn::shared_migrations {

// A backend's names for the types the shared tables use.
struct SqlTypes {
  const char* int32;         // level, scope
  const char* int64;         // bucket, counts, sums, timestamps
  const char* real;          // a double
  const char* bytes;         // a sketch
  const char* table_suffix;  // after the closing parenthesis (SQLite: " WITHOUT ROWID")
};

namespace detail {
inline std::string cells_table(const SqlTypes& t, const std::string& middle) {
  const std::string i64 = std::string(" ") + t.int64 + " NOT NULL,\n";
  return std::string("CREATE TABLE analytics_cells (\n") + "  level " + t.int32 + " NOT NULL,\n  bucket" + i64 +
         "  scope " + t.int32 + " NOT NULL,\n  agent TEXT NOT NULL,\n  ttype TEXT NOT NULL,\n  executions" + i64 +
         "  successes" + i64 + "  anomalies" + i64 + middle + "  min_ts" + i64 + "  max_ts" + i64 + "  sketch " +
         t.bytes + " NOT NULL,\n  PRIMARY KEY (level, bucket, scope, agent, ttype)\n)" + t.table_suffix + ";\n";
}
}  // namespace detail

// Migration 4: the analytics cells' first form (sums in floating point).
inline std::string first_cells_table(const SqlTypes& t) {
  const std::string real = std::string(" ") + t.real + " NOT NULL,\n";
  return detail::cells_table(t, std::string("  cost_n ") + t.int64 + " NOT NULL,\n  time_sum" + real + "  cost_sum" + real);
}

// Migration 6: the cells' exact form (128-bit fixed-point sums as two int64 each) that also
// counts the scored runs.
inline std::string exact_cells_table(const SqlTypes& t) {
  std::string middle;
  for (const char* c : {"scored", "cost_n", "time_us_hi", "time_us_lo", "cost_nusd_hi", "cost_nusd_lo"}) {
    middle += std::string("  ") + c + " " + t.int64 + " NOT NULL,\n";
  }
  return detail::cells_table(t, middle);
}

// Migration 6: the out_of_range column (`column`: its type and default), set (`flagged`) on
// the rows that hold a value no run can have (docs/api.md, "Ranges": execution time
// 0..1e9 s, cost 0..1e6 USD, timestamps in years 1..9999), and the old cells dropped.
inline std::string flag_out_of_range(const char* column, const char* flagged) {
  return std::string("ALTER TABLE executions ADD COLUMN out_of_range ") + column + ";\n" +
         "UPDATE executions SET out_of_range = " + flagged +
         " WHERE NOT (execution_time >= 0 AND execution_time <= 1e9)"
         " OR (cost_usd IS NOT NULL AND NOT (cost_usd >= 0 AND cost_usd <= 1e6))"
         " OR timestamp_us < -62135596800000000 OR timestamp_us > 253402300799999999;\n"
         "DROP TABLE analytics_cells;\n";
}

// Why a store whose schema is newer than this binary's migrations is refused: an older
// binary would write to tables the newer one has changed (kConflict, before any write).
inline Status refuse_newer_schema(int stored, int known) {
  return Status::Conflict("the store's schema is version " + std::to_string(stored) +
                          ", newer than this agentlearn knows (up to " + std::to_string(known) +
                          "): a newer release upgraded it; run that release, or a backup taken before the upgrade");
}

// Undoes migration 7 (the journal must be empty): the schema a release before it writes to.
inline constexpr const char* kUndoJournal =
    "DROP TABLE analytics_journal;\n"
    "DROP TABLE analytics_rollup;\n"
    "ALTER TABLE rollup_cells RENAME TO analytics_cells;\n"
    "DELETE FROM schema_migrations WHERE version = 7;\n";

// What downgrade_schema() answers before it changes anything: OK to go on (with `stored`, the
// newest migration recorded), or why not.
inline Status check_downgrade(int stored, int to, int64_t pending_journal_rows) {
  if (to != 6) {
    return Status::Invalid("the schema can only go back to version 6 (the release before the analytics journal), not " +
                               std::to_string(to),
                           "version");
  }
  if (stored > 7) return refuse_newer_schema(stored, 7);
  if (pending_journal_rows > 0) {
    return Status::Conflict(std::to_string(pending_journal_rows) +
                            " analytics journal rows are pending: roll them up first (agentlearn rollup), with no "
                            "server writing to the store");
  }
  return Status::Ok();
}

}  // namespace agentlearn::shared_migrations

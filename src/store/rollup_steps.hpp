#pragma once
// The steps of a rollup round and the backlog query that both backends share
// (sqlite_analytics.cpp, postgres_analytics.cpp; docs/analytics.md, "Journal and rollup").
#include <string>
#include <string_view>

#include "store/analytics_store.hpp"

namespace agentlearn::rollup_steps {

// The backlog: journal rows, the executions they name (`count_expr`, per row), the oldest.
inline std::string backlog_sql(std::string_view count_expr) {
  return "SELECT count(*), coalesce(sum(" + std::string(count_expr) + "), 0), min(created_us) FROM analytics_journal";
}

// The rollup epoch, as a snapshot or a round reads it.
inline constexpr const char* kEpochSql = "SELECT epoch FROM analytics_rollup";

// A round's last steps in its transaction, after the cells are written and the journal rows
// deleted: the epoch bumped (readers learn which rounds their snapshot holds) and read back
// into `round`, with the buckets its cells changed, then the test's fault hook. `exec` runs
// one statement without parameters; `read_int` one that returns one integer.
template <class Exec, class ReadInt>
Status finish_round(Exec&& exec, ReadInt&& read_int, const analytics::CellDeltas& deltas,
                    const RollupOptions& options, RollupRound& round) {
  if (Status st = exec("UPDATE analytics_rollup SET epoch = epoch + 1"); !st.ok()) return st;
  StatusOr<int64_t> epoch = read_int(kEpochSql);
  if (!epoch.ok()) return epoch.status();
  round.epoch = *epoch;
  round.changed = deltas.buckets();
  return options.before_commit ? options.before_commit() : Status::Ok();
}

}  // namespace agentlearn::rollup_steps

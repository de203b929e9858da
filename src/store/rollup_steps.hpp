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

// A round's last steps in its transaction, after the cells are written and the journal rows
// deleted: the epoch bumped (readers learn which rounds their snapshot holds), then the
// test's fault hook. `exec` runs one statement without parameters.
template <class Exec>
Status finish_round(Exec&& exec, const RollupOptions& options) {
  if (Status st = exec("UPDATE analytics_rollup SET epoch = epoch + 1"); !st.ok()) return st;
  return options.before_commit ? options.before_commit() : Status::Ok();
}

}  // namespace agentlearn::rollup_steps

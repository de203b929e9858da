#include "http/analytics_json.hpp"

#include <fmt/format.h>

#include "core/execution_json.hpp"
#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "http/learning_json.hpp"

namespace agentlearn::http {

namespace {

void write_points(JsonWriter& w, const std::vector<SeriesPoint>& points) {
  w.begin_array();
  for (const SeriesPoint& p : points) {
    w.begin_object();
    w.member("start", format_rfc3339(p.start_us));
    w.member("executions", p.executions).member("successes", p.successes);
    w.key("success_rate");
    if (p.executions) {
      w.number(static_cast<double>(p.successes) / static_cast<double>(p.executions));
    } else {
      w.null();
    }
    w.member("p95_time", p.p95_time).member("cost_usd", p.cost_usd);
    w.end_object();
  }
  w.end_array();
}

void write_agent_performance(JsonWriter& w, const AgentPerformance& a) {
  w.begin_object();
  w.member("agent_id", a.agent_id).member("executions", a.executions).member("successes", a.successes);
  w.member("success_rate", a.success_rate);
  w.key("execution_time").begin_object();
  w.member("mean", a.time_mean).member("p50", a.time_p50).member("p95", a.time_p95).member("p99", a.time_p99);
  w.end_object();
  w.member("mean_cost_usd", a.mean_cost_usd);
  w.member("last_seen", format_rfc3339(a.last_seen_us)).member("anomalies", a.anomalies);
  w.member("scored", a.scored);
  w.end_object();
}

}  // namespace

std::string performance_json(const AgentsPerformanceReport& report, const ExecutionFilter& filter) {
  auto time_text = [](const std::optional<int64_t>& us) {
    return us ? std::optional<std::string>(format_rfc3339(*us)) : std::nullopt;
  };
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("agents").begin_array();
  for (const AgentPerformance& a : report.agents) write_agent_performance(w, a);
  w.end_array();
  w.member("total_executions", report.total_executions);
  w.member("percentiles", percentiles_name(report.exact_percentiles));
  w.key("filters").begin_object();
  w.member("since", time_text(filter.since_us)).member("until", time_text(filter.until_us));
  w.member("task_type", filter.task_type).member("agent_id", filter.agent_id);
  w.end_object();
  w.end_object();
  return out;
}

std::string dashboard_json(const DashboardQuery& query, const DashboardReport& report) {
  const ExecutionFilter& f = query.filter;
  const DashboardFigures& d = report.figures;
  std::string out;
  out.reserve(8192);
  JsonWriter w(out);
  w.begin_object();
  w.key("filters").begin_object();
  w.member("since", format_rfc3339(*f.since_us)).member("until", format_rfc3339(*f.until_us));
  w.member("task_type", f.task_type).member("agent_id", f.agent_id).member("series_agent", query.series_agent);
  w.end_object();
  w.member("percentiles", percentiles_name(d.exact_percentiles));
  w.key("totals").begin_object();
  w.member("executions", d.executions).member("agents", d.leaderboard.size()).member("successes", d.successes);
  w.key("success_rate");
  if (d.executions) {
    w.number(static_cast<double>(d.successes) / static_cast<double>(d.executions));
  } else {
    w.null();
  }
  w.member("cost_usd", d.cost_usd).member("anomalies", d.anomalies).member("scored", d.scored);
  w.end_object();
  w.key("leaderboard").begin_array();
  for (const auto& a : d.leaderboard) write_agent_performance(w, a);
  w.end_array();
  w.key("series").begin_object();
  w.member("bucket_seconds", d.bucket_seconds);
  w.key("points");
  write_points(w, d.series);
  w.key("agent");
  if (d.agent_series) {
    w.begin_object().member("agent_id", *query.series_agent).key("points");
    write_points(w, *d.agent_series);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
  w.key("task_types").begin_array();
  for (const auto& [type, n] : d.task_types) w.begin_object().member("task_type", type).member("executions", n).end_object();
  w.end_array();
  w.key("recent_anomalies").raw(json_text(anomalies_json(d.recent_anomalies, report.why)["anomalies"]));
  w.end_object();
  return out;
}

}  // namespace agentlearn::http

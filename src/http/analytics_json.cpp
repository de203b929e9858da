#include "http/analytics_json.hpp"

#include <fmt/format.h>

#include "core/execution_json.hpp"
#include "core/time.hpp"
#include "http/learning_json.hpp"

namespace agentlearn::http {

namespace {

void append_opt_string(std::string& out, const std::optional<std::string>& v) {
  if (v) {
    append_json_string(out, *v);
  } else {
    out += "null";
  }
}

void append_points(std::string& out, const std::vector<SeriesPoint>& points) {
  out += '[';
  for (size_t i = 0; i < points.size(); ++i) {
    const SeriesPoint& p = points[i];
    if (i) out += ',';
    out += fmt::format("{{\"start\":\"{}\",\"executions\":{},\"successes\":{},\"success_rate\":",
                       format_rfc3339(p.start_us), p.executions, p.successes);
    if (p.executions) {
      out += fmt::format("{}", static_cast<double>(p.successes) / static_cast<double>(p.executions));
    } else {
      out += "null";
    }
    out += ",\"p95_time\":";
    if (p.p95_time) {
      out += fmt::format("{}", *p.p95_time);
    } else {
      out += "null";
    }
    out += fmt::format(",\"cost_usd\":{}}}", p.cost_usd);
  }
  out += ']';
}

}  // namespace

void append_agent_performance(std::string& out, const AgentPerformance& a) {
  out += "{\"agent_id\":";
  append_json_string(out, a.agent_id);
  out += fmt::format(
      ",\"executions\":{},\"successes\":{},\"success_rate\":{},\"execution_time\":{{\"mean\":{},\"p50\":{},"
      "\"p95\":{},\"p99\":{}}},\"mean_cost_usd\":",
      a.executions, a.successes, a.success_rate, a.time_mean, a.time_p50, a.time_p95, a.time_p99);
  if (a.mean_cost_usd) {
    out += fmt::format("{}", *a.mean_cost_usd);
  } else {
    out += "null";
  }
  out += fmt::format(",\"last_seen\":\"{}\",\"anomalies\":{}}}", format_rfc3339(a.last_seen_us), a.anomalies);
}

std::string dashboard_json(const DashboardQuery& query, const DashboardReport& report) {
  const ExecutionFilter& f = query.filter;
  const DashboardFigures& d = report.figures;
  std::string out;
  out.reserve(8192);
  out += fmt::format("{{\"filters\":{{\"since\":\"{}\",\"until\":\"{}\",\"task_type\":", format_rfc3339(*f.since_us),
                     format_rfc3339(*f.until_us));
  append_opt_string(out, f.task_type);
  out += ",\"agent_id\":";
  append_opt_string(out, f.agent_id);
  out += ",\"series_agent\":";
  append_opt_string(out, query.series_agent);
  out += fmt::format("}},\"percentiles\":\"{}\",\"totals\":{{\"executions\":{},\"agents\":{},\"successes\":{},"
                     "\"success_rate\":",
                     percentiles_name(d.exact_percentiles), d.executions, d.leaderboard.size(), d.successes);
  if (d.executions) {
    out += fmt::format("{}", static_cast<double>(d.successes) / static_cast<double>(d.executions));
  } else {
    out += "null";
  }
  out += fmt::format(",\"cost_usd\":{},\"anomalies\":{}}},\"leaderboard\":[", d.cost_usd, d.anomalies);
  for (size_t i = 0; i < d.leaderboard.size(); ++i) {
    if (i) out += ',';
    append_agent_performance(out, d.leaderboard[i]);
  }
  out += fmt::format("],\"series\":{{\"bucket_seconds\":{},\"points\":", d.bucket_seconds);
  append_points(out, d.series);
  out += ",\"agent\":";
  if (d.agent_series) {
    out += "{\"agent_id\":";
    append_json_string(out, *query.series_agent);
    out += ",\"points\":";
    append_points(out, *d.agent_series);
    out += '}';
  } else {
    out += "null";
  }
  out += "},\"task_types\":[";
  for (size_t i = 0; i < d.task_types.size(); ++i) {
    if (i) out += ',';
    out += "{\"task_type\":";
    append_json_string(out, d.task_types[i].first);
    out += fmt::format(",\"executions\":{}}}", d.task_types[i].second);
  }
  out += "],\"recent_anomalies\":";
  out += anomalies_json(report.recent_anomalies)["anomalies"].dump();
  out += '}';
  return out;
}

}  // namespace agentlearn::http

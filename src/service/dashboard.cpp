// LearningService::dashboard: GET /analytics/dashboard's figures (service/analytics.hpp) and
// the range's most recent anomalies.
#include "service/learning_service.hpp"

namespace agentlearn {

namespace {

// Flagged executions read to find the range's newest (those after `until`, or of other
// agents or types, are skipped); the answer lists at most kRecentAnomalies.
constexpr size_t kAnomalyScan = 500;
constexpr size_t kRecentAnomalies = 20;

}  // namespace

StatusOr<DashboardReport> LearningService::dashboard(const DashboardQuery& query) {
  auto figures = analytics_.dashboard(query);
  if (!figures.ok()) return figures.status();
  DashboardReport report;
  report.figures = std::move(figures).value();
  const ExecutionFilter& f = query.filter;
  Status st = store_.scan_anomalies(f.since_us, kAnomalyScan, [&](const StoredRow& r) {
    const Execution& e = r.execution;
    if (report.recent_anomalies.size() >= kRecentAnomalies) return;
    if (f.until_us && e.timestamp_us >= *f.until_us) return;
    if (f.agent_id && e.agent_id != *f.agent_id) return;
    if (f.task_type && e.task_type != f.task_type) return;
    report.recent_anomalies.push_back(r);
  });
  if (!st.ok()) return st;
  return report;
}

}  // namespace agentlearn

// LearningService::dashboard: GET /analytics/dashboard's figures (service/analytics.hpp), whose
// snapshot also holds the range's most recent anomalies, and why each was flagged.
#include "service/learning_service.hpp"

namespace agentlearn {

StatusOr<DashboardReport> LearningService::dashboard(const DashboardQuery& query) {
  auto figures = analytics_.dashboard(query);
  if (!figures.ok()) return figures.status();
  DashboardReport report;
  report.figures = std::move(figures).value();
  report.why = explain_anomalies(report.figures.recent_anomalies);
  return report;
}

}  // namespace agentlearn

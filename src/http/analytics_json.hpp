#pragma once
// The analytics answers as JSON: one agent's performance entry (GET /agents/performance and
// the dashboard's leaderboard share it) and the whole GET /analytics/dashboard body.
#include <string>

#include "service/learning_api.hpp"

namespace agentlearn::http {

// {"agent_id":...,"executions":...,...,"anomalies":...} appended to `out`.
void append_agent_performance(std::string& out, const AgentPerformance& a);

// "exact" or "sketch".
inline const char* percentiles_name(bool exact) { return exact ? "exact" : "sketch"; }

std::string dashboard_json(const DashboardQuery& query, const DashboardReport& report);

}  // namespace agentlearn::http

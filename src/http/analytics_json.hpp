#pragma once
// The analytics answers as JSON: the GET /agents/performance and GET /analytics/dashboard
// bodies (one agent's entry is the same in both).
#include <string>

#include "service/learning_api.hpp"

namespace agentlearn::http {

// {"agents":[...],"total_executions":...,"percentiles":...,"filters":{...}}: every filter
// echoed, one not given as null.
std::string performance_json(const AgentsPerformanceReport& report, const ExecutionFilter& filter);

// "exact" or "sketch".
inline const char* percentiles_name(bool exact) { return exact ? "exact" : "sketch"; }

std::string dashboard_json(const DashboardQuery& query, const DashboardReport& report);

}  // namespace agentlearn::http

#pragma once
// GET /analytics/dashboard: a range's totals, leaderboard, series, task types and recent
// anomalies (docs/api.md), from the analytics cells; store work on the blocking pool.
#include <memory>

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace agentlearn::http {

void add_analytics_routes(Router& router, std::shared_ptr<ApiDeps> deps);

}  // namespace agentlearn::http

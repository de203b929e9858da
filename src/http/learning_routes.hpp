#pragma once
// The learning endpoints (issue 4): recommend, agent recommendations, learning mode,
// training, model status, rollback, anomalies. Each translates between HTTP and the
// LearningService; store work runs on the blocking pool, never on an I/O thread.
#include <memory>

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace agentlearn::http {

void add_learning_routes(Router& router, std::shared_ptr<ApiDeps> deps);

}  // namespace agentlearn::http

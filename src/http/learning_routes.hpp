#pragma once
// The learning endpoints: recommend, agent recommendations, learning mode, training, model
// status, rollback, anomalies, similar tasks. Each translates between HTTP and the learning
// service (LearningApi); store work runs on the blocking pool, never on an I/O thread.
#include <memory>

#include "http/api_routes.hpp"
#include "http/router.hpp"

namespace agentlearn::http {

void add_learning_routes(Router& router, std::shared_ptr<ApiDeps> deps);

}  // namespace agentlearn::http

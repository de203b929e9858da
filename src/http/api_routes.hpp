#pragma once
// The API's routes: each translates between HTTP and the learning service (LearningApi),
// nothing more. Handlers answer with a Reply (http/handler.hpp); failures are values.
#include <boost/asio/thread_pool.hpp>

#include <memory>

#include "http/router.hpp"
#include "metrics/registry.hpp"
#include "service/learning_api.hpp"

namespace agentlearn::http {

struct ApiLimits {
  size_t batch_body_limit = 16u << 20;  // POST /agent/performance/batch
  size_t max_batch_records = 10000;
};

struct ApiDeps {
  LearningApi& service;
  metrics::Registry& registry;
  boost::asio::thread_pool& blocking;  // store reads run here, never on an I/O thread
  // Model compute (recommendations) runs here: one thread per core, so a recommendation
  // load uses every core while the I/O threads (cores - 1) keep reading and writing.
  boost::asio::thread_pool& compute;
  ApiLimits limits;
};

Router build_api_router(ApiDeps deps);

// since/until/task_type/agent_id from the query string; 400 naming the field when malformed.
StatusOr<ExecutionFilter> read_filter(const RequestContext& ctx);

// A route function over the shared dependencies, as the router takes it.
SyncHandler bind_sync(std::shared_ptr<ApiDeps> deps, Reply (*fn)(ApiDeps&, RequestContext&));
Handler bind_async(std::shared_ptr<ApiDeps> deps, void (*fn)(ApiDeps&, RequestContext&, Complete));

}  // namespace agentlearn::http

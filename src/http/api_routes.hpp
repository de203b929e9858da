#pragma once
// The API's routes: each translates between HTTP and LearningService, nothing more.
#include <boost/asio/thread_pool.hpp>

#include "http/router.hpp"
#include "metrics/registry.hpp"
#include "service/learning_service.hpp"

namespace agentlearn::http {

struct ApiLimits {
  size_t batch_body_limit = 16u << 20;  // POST /agent/performance/batch
  size_t max_batch_records = 10000;
};

struct ApiDeps {
  LearningService& service;
  metrics::Registry& registry;
  boost::asio::thread_pool& blocking;  // store reads run here, never on an I/O thread
  // Model compute (recommendations) runs here: one thread per core, so a recommendation
  // load uses every core while the I/O threads (cores - 1) keep reading and writing.
  boost::asio::thread_pool& compute;
  ApiLimits limits;
};

Router build_api_router(ApiDeps deps);

}  // namespace agentlearn::http

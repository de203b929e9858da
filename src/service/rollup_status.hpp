#pragma once
// What /health and /health/ready say of the analytics rollup (service/analytics_rollup.hpp).
#include <cstdint>
#include <string>

namespace agentlearn {

struct RollupStatus {
  bool running = false;  // this process has a rollup thread
  bool leader = false;   // ... and it is the store's rollup leader (runs the rounds)
  uint64_t pending_journal_rows = 0;
  uint64_t pending_executions = 0;
  double oldest_pending_seconds = 0;  // 0: nothing pending
  uint64_t rounds = 0;                // rounds that folded something, since start
  uint64_t executions_rolled_up = 0;
  std::string last_error;  // the last failed round's or backlog read's, "" after a success
  bool lagging = false;    // oldest_pending_seconds past the configured limit
};

}  // namespace agentlearn

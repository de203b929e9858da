#pragma once
// LearningService: the business logic behind the API, apart from transport (userver's habit).
// Records executions through the group-commit writer, answers analytics from the store, and
// keeps an eye on the store's health.
#include <atomic>
#include <chrono>
#include <memory>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/execution.hpp"
#include "core/status.hpp"
#include "metrics/registry.hpp"
#include "service/agent_stats.hpp"
#include "store/group_writer.hpp"
#include "store/store.hpp"

namespace agentlearn {

struct ServiceOptions {
  std::chrono::milliseconds health_interval{1000};  // how often the store is pinged
};

struct HealthReport {
  bool store_connected = false;
  const char* backend = "";
  double uptime_seconds = 0;
};

struct AgentsPerformanceReport {
  std::vector<AgentPerformance> agents;
  uint64_t total_executions = 0;
};

class LearningService {
 public:
  LearningService(Store& store, GroupWriter& writer, metrics::Registry& registry, ServiceOptions options = {});
  ~LearningService();
  LearningService(const LearningService&) = delete;
  LearningService& operator=(const LearningService&) = delete;

  // Stores the executions (all or nothing); `done` runs once they are durable, or refused.
  // When the store is known to be down, refuses at once with kUnavailable.
  void record(std::vector<Execution> records, WriteCallback done);

  StatusOr<AgentsPerformanceReport> agents_performance(const ExecutionFilter& filter);

  HealthReport health() const;

 private:
  void monitor_health();

  Store& store_;
  GroupWriter& writer_;
  ServiceOptions options_;
  std::chrono::steady_clock::time_point started_;
  // Shared with the metrics callback, which may outlive this object.
  std::shared_ptr<std::atomic<bool>> store_connected_;
  metrics::Counter& recorded_;
  metrics::Counter& duplicates_;
  metrics::Counter& refused_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool ping_now_ = false;  // a write failed: check the store before the next interval
  std::thread health_thread_;
};

}  // namespace agentlearn

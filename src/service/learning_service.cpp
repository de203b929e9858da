#include "service/learning_service.hpp"

#include <spdlog/spdlog.h>

namespace agentlearn {

LearningService::LearningService(Store& store, GroupWriter& writer, metrics::Registry& registry,
                                 ServiceOptions options)
    : store_(store),
      writer_(writer),
      options_(options),
      started_(std::chrono::steady_clock::now()),
      store_connected_(std::make_shared<std::atomic<bool>>(store.ping().ok())),
      recorded_(registry.counter("executions_recorded_total", "Executions durably stored").labels()),
      duplicates_(registry.counter("executions_duplicate_total",
                                   "Executions received again with a known execution_id and the same content")
                      .labels()),
      refused_(registry.counter("executions_refused_total",
                                "Executions not stored because the store was down or a conflict was found")
                   .labels()) {
  auto connected = store_connected_;
  registry.gauge_callback("store_up", "1 when the store answers, 0 when it does not",
                          [connected] { return connected->load() ? 1.0 : 0.0; });
  auto started = started_;
  registry.gauge_callback("process_uptime_seconds", "Seconds since the service started", [started] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  });
  health_thread_ = std::thread([this] { monitor_health(); });
}

LearningService::~LearningService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
}

void LearningService::monitor_health() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Status st = store_.ping();
    bool was = store_connected_->exchange(st.ok());
    if (was && !st.ok()) spdlog::error("store is unreachable: {}", st.message());
    if (!was && st.ok()) spdlog::info("store is reachable again");
    lock.lock();
    cv_.wait_for(lock, options_.health_interval, [&] { return stopping_ || ping_now_; });
    ping_now_ = false;
  }
}

void LearningService::record(std::vector<Execution> records, WriteCallback done) {
  const size_t n = records.size();
  if (!store_connected_->load()) {
    refused_.inc(static_cast<double>(n));
    WriteOutcome o;
    o.status = Status::Unavailable("the store is unreachable; retry shortly");
    return done(std::move(o));
  }
  auto shared_done = std::make_shared<WriteCallback>(std::move(done));
  Status st = writer_.submit(std::move(records), [this, n, shared_done](WriteOutcome outcome) {
    if (outcome.status.ok()) {
      uint64_t dups = 0;
      for (auto& r : outcome.results) dups += r.duplicate ? 1 : 0;
      if (n - dups) recorded_.inc(static_cast<double>(n - dups));
      if (dups) duplicates_.inc(static_cast<double>(dups));
    } else {
      refused_.inc(static_cast<double>(n));
      // Maybe the store is down, maybe a replica raced us: let the health thread ping now.
      if (outcome.status.code() == StatusCode::kUnavailable) {
        {
          std::lock_guard lock(mu_);
          ping_now_ = true;
        }
        cv_.notify_all();
      }
    }
    (*shared_done)(std::move(outcome));
  });
  if (!st.ok()) {  // the queue is full: overloaded, not down
    refused_.inc(static_cast<double>(n));
    WriteOutcome o;
    o.status = st;
    (*shared_done)(std::move(o));
  }
}

StatusOr<AgentsPerformanceReport> LearningService::agents_performance(const ExecutionFilter& filter) {
  AgentStatsAccumulator acc;
  Status st = store_.scan_stats(filter, [&](const StatsRow& row) { acc.add(row); });
  if (!st.ok()) return st;
  AgentsPerformanceReport report;
  report.total_executions = acc.total();
  report.agents = acc.finish();
  return report;
}

HealthReport LearningService::health() const {
  HealthReport h;
  h.store_connected = store_connected_->load();
  h.backend = store_.backend();
  h.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return h;
}

}  // namespace agentlearn

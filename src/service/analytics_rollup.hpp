#pragma once
// The analytics rollup (docs/analytics.md): a thread that runs rollup rounds
// (AnalyticsStore::roll_up) so the journal the group writer fills drains into the cells, a
// round at a time, each bounded so that it holds the store's write lock briefly. It keeps
// the backlog's figures for /health/ready and /metrics. Rounds of several processes on one
// store take turns in the store and never count a row twice.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "metrics/registry.hpp"
#include "service/rollup_status.hpp"
#include "store/analytics_store.hpp"

namespace agentlearn {

struct AnalyticsRollupOptions {
  // How long the thread waits after a round that emptied the journal (a round that stopped
  // at its bound is followed at once by the next).
  std::chrono::milliseconds interval{1000};
  size_t max_executions_per_round = 20000;
  // /health/ready reports not ready while the oldest journal row is older than this.
  double max_lag_seconds = 300;
  // Told of every round this process committed (the in-process copy of the cells learns
  // what changed), on the thread that ran it.
  std::function<void(const RollupRound&)> on_round;
};

class AnalyticsRollup {
 public:
  AnalyticsRollup(AnalyticsStore& store, metrics::Registry* registry, AnalyticsRollupOptions options = {});
  ~AnalyticsRollup();
  AnalyticsRollup(const AnalyticsRollup&) = delete;
  AnalyticsRollup& operator=(const AnalyticsRollup&) = delete;

  void start();
  // Ends the thread after the round under way. Idempotent.
  void stop();
  // Runs rounds on the calling thread until the journal is empty (a CLI command that wrote
  // to the store, before a downgrade). Returns what they folded.
  StatusOr<RollupRound> drain();
  // The backlog as last looked at; its age and `lagging` as of now.
  RollupStatus status() const;
  // Looks at the backlog again (the rounds' thread does after each round; the health thread
  // every second, so the figures move while a long interval passes).
  void refresh_backlog();

 private:
  void run();
  // One round and a fresh look at the backlog; false when the journal may hold more.
  bool round();
  void note_backlog(const StatusOr<RollupBacklog>& b);

  AnalyticsStore& store_;
  AnalyticsRollupOptions options_;
  metrics::Counter* rounds_total_ = nullptr;
  metrics::Counter* executions_total_ = nullptr;
  metrics::Counter* failures_total_ = nullptr;
  metrics::Gauge* pending_rows_ = nullptr;
  metrics::Gauge* pending_executions_ = nullptr;
  metrics::Gauge* oldest_seconds_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  RollupStatus status_;
  std::optional<int64_t> oldest_us_;  // the last look's oldest journal row
  std::thread thread_;
};

}  // namespace agentlearn

#pragma once
// Analytics answered from the store's cells (docs/analytics.md): GET /agents/performance and
// GET /analytics/dashboard. A range [since, until) is read as the whole 5-minute buckets it
// covers, decomposed into the fewest aligned cells of the nested levels, plus the executions
// of the partial buckets at its two ends (only those rows, through the timestamp index). An
// end bucket whose cell shows all its rows inside the range (by its min/max timestamp) is
// read as a cell instead. Counts, sums, last-seen and anomaly counts equal a full scan;
// percentiles are exact when the range holds at most `exact_limit` executions (then the
// rows are read), else from the merged latency sketches (relative error <= 1%).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/agent_stats.hpp"
#include "service/cell_cache.hpp"
#include "service/pending_rows.hpp"
#include "store/analytics_store.hpp"
#include "store/execution_store.hpp"

namespace agentlearn {

struct AnalyticsOptions {
  uint64_t exact_limit = 4096;
  // Pending executions kept in memory between answers, at most (about 100 bytes each).
  size_t max_pending_rows_kept = 1'000'000;
  // The in-process copy of the stored cells (service/cell_cache.hpp), at most; 0: none.
  size_t max_cell_cache_bytes = 256u << 20;
  // How long the copy waits for the note of a round it has not heard of before it starts
  // over (service/cell_cache.hpp).
  std::chrono::milliseconds cell_cache_grace{250};
};

struct PerformanceFigures {
  std::vector<AgentPerformance> agents;  // by agent id
  uint64_t total_executions = 0;
  bool exact_percentiles = true;
};

struct SeriesPoint {
  int64_t start_us = 0;
  uint64_t executions = 0;
  uint64_t successes = 0;
  std::optional<double> p95_time;  // null without executions
  double cost_usd = 0;
};

struct DashboardQuery {
  ExecutionFilter filter;  // since/until set by the caller
  std::optional<std::string> series_agent;
  int buckets = 48;  // target number of series points
};

struct DashboardFigures {
  bool exact_percentiles = true;
  std::vector<AgentPerformance> leaderboard;  // best success rate first
  uint64_t executions = 0, successes = 0, anomalies = 0;
  uint64_t scored = 0;  // runs the anomaly detector scored: `anomalies` is out of these
  double cost_usd = 0;
  int64_t bucket_seconds = 0;
  std::vector<SeriesPoint> series;
  std::optional<std::vector<SeriesPoint>> agent_series;
  std::vector<std::pair<std::string, uint64_t>> task_types;  // most executions first
  // The range's newest flagged runs matching the filter (at most kRecentAnomalies), newest
  // run first, read in the same snapshot as the figures.
  std::vector<StoredRow> recent_anomalies;
  static constexpr size_t kRecentAnomalies = 20;
};

// The width (seconds) a series of [since, until) uses: the narrowest stored level giving at
// most `buckets` points; when even the widest gives more, the smallest multiple of the widest
// that does. So a series never has more than `buckets` points, however long the range.
int64_t series_bucket_seconds(int64_t since_us, int64_t until_us, int buckets);
// Where such a series' first point starts: `since` floored to the width, or to the widest
// level for the multiples of it.
int64_t series_first_us(int64_t since_us, int64_t width_seconds);

class Analytics {
 public:
  explicit Analytics(AnalyticsStore& store, AnalyticsOptions options = {})
      : store_(store),
        options_(options),
        pending_(std::make_unique<PendingRows>(options.max_pending_rows_kept)),
        cells_(std::make_shared<CellCache>(options.max_cell_cache_bytes, options.cell_cache_grace)) {}

  // Absent since/until mean the first/last stored execution.
  StatusOr<PerformanceFigures> performance(const ExecutionFilter& filter);
  // since and until must be set.
  StatusOr<DashboardFigures> dashboard(const DashboardQuery& query);
  // Pending executions read from the store since this object was made: answers fetch only
  // the journal rows that came since the last answer (service/pending_rows.hpp).
  uint64_t pending_rows_fetched() const { return pending_->rows_fetched(); }
  // The copy of the stored cells: what it holds, hits and misses (shared: a metrics callback
  // may outlive this object).
  std::shared_ptr<const CellCache> cell_cache() const { return cells_; }
  // A rollup round this process committed: the copy keeps the buckets it did not change.
  void round_committed(const RollupRound& round) { cells_->round_committed(round); }
  // The same answers from a snapshot the caller holds (a test comparing them with a scan of
  // that very snapshot).
  StatusOr<PerformanceFigures> performance_in(AnalyticsSnapshot& snap, const ExecutionFilter& filter);
  StatusOr<DashboardFigures> dashboard_in(AnalyticsSnapshot& snap, const DashboardQuery& query);

 private:
  Status dashboard_from(AnalyticsSnapshot& snap, const DashboardQuery& query, DashboardFigures& out);

  AnalyticsStore& store_;
  AnalyticsOptions options_;
  std::unique_ptr<PendingRows> pending_;  // shared by the answers, across their snapshots
  std::shared_ptr<CellCache> cells_;      // likewise
};

}  // namespace agentlearn

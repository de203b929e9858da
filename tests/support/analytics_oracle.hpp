#pragma once
// The oracle for the analytics cells: every figure of GET /agents/performance and
// GET /analytics/dashboard recomputed from a full scan of the executions (scan_executions,
// not the analytics path), and compared with what Analytics answers from the cells. Shared
// by the unit test (fake store) and the store conformance tests (SQLite, PostgreSQL).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/latency_sketch.hpp"
#include "service/agent_stats.hpp"
#include "service/analytics.hpp"
#include "store/store.hpp"

namespace agentlearn::testing {

// Executions of `agents` agents over `types` task types (one in 16 without a type), with
// timestamps spread over `span_us` from `t0_us` and log-normal times.
inline std::vector<Execution> analytics_workload(size_t n, uint32_t seed, int64_t t0_us, int64_t span_us,
                                                 int agents = 7, int types = 5) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> time(3.0, 1.2);
  std::uniform_int_distribution<int64_t> ts(0, span_us - 1);
  std::vector<Execution> out;
  for (size_t i = 0; i < n; ++i) {
    Execution e;
    e.execution_id = "ax-" + std::to_string(seed) + "-" + std::to_string(i);
    e.agent_id = "agent-" + std::to_string(rng() % static_cast<uint64_t>(agents));
    e.task_id = "task-" + std::to_string(rng() % 100);
    if (rng() % 16 != 0) e.task_type = "type-" + std::to_string(rng() % static_cast<uint64_t>(types));
    e.execution_time = std::round(time(rng) * 1000) / 1000;
    e.success = rng() % 3 != 0;
    if (rng() % 4 != 0) e.cost_usd = static_cast<double>(rng() % 10000) / 1000.0;
    e.timestamp_us = t0_us + ts(rng);
    if (rng() % 20 == 0) e.anomaly = true;
    e.context_json = "{}";
    e.metrics_json = "{}";
    e.content_hash = std::to_string(seed) + ":" + std::to_string(i);
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<Execution> all_executions(ExecutionStore& store) {
  std::vector<Execution> out;
  EXPECT_TRUE(store.scan_executions(0, 0, [&](const StoredRow& r) { out.push_back(r.execution); }).ok());
  return out;
}

inline bool matches(const Execution& e, const ExecutionFilter& f) {
  if (f.since_us && e.timestamp_us < *f.since_us) return false;
  if (f.until_us && e.timestamp_us >= *f.until_us) return false;
  if (f.task_type && e.task_type != f.task_type) return false;
  if (f.agent_id && e.agent_id != *f.agent_id) return false;
  return true;
}

inline void expect_near_rel(double got, double want, double rel, const std::string& what) {
  EXPECT_LE(std::abs(got - want), rel * std::abs(want) + 1e-9) << what << ": got " << got << " want " << want;
}

// Per-agent figures computed the plain way: every run's time kept and sorted, sums in double.
// The reference the cells' figures are compared with; agents come out sorted by id.
class AgentFiguresOracle {
 public:
  void add(const Execution& e) {
    Acc& a = agents_[e.agent_id];
    a.times.push_back(e.execution_time);
    a.successes += e.success ? 1 : 0;
    if (e.cost_usd) {
      a.cost_sum += *e.cost_usd;
      ++a.cost_n;
    }
    a.last_seen_us = std::max(a.last_seen_us, e.timestamp_us);
    a.anomalies += e.anomaly.value_or(false) ? 1 : 0;
    ++total_;
  }
  uint64_t total() const { return total_; }
  // Hands the agents over: the oracle is empty afterwards.
  std::vector<AgentPerformance> finish() {
    std::vector<AgentPerformance> out;
    for (auto& [id, a] : agents_) {
      AgentPerformance p;
      p.agent_id = id;
      p.executions = a.times.size();
      p.successes = a.successes;
      p.success_rate = static_cast<double>(a.successes) / static_cast<double>(p.executions);
      double sum = 0;
      for (double t : a.times) sum += t;
      p.time_mean = sum / static_cast<double>(p.executions);
      std::sort(a.times.begin(), a.times.end());
      p.time_p50 = percentile_linear(a.times, 0.50);
      p.time_p95 = percentile_linear(a.times, 0.95);
      p.time_p99 = percentile_linear(a.times, 0.99);
      if (a.cost_n) p.mean_cost_usd = a.cost_sum / static_cast<double>(a.cost_n);
      p.cost_samples = a.cost_n;
      p.last_seen_us = a.last_seen_us;
      p.anomalies = a.anomalies;
      out.push_back(std::move(p));
    }
    agents_.clear();
    total_ = 0;
    return out;
  }

 private:
  struct Acc {
    std::vector<double> times;
    uint64_t successes = 0;
    double cost_sum = 0;
    uint64_t cost_n = 0;
    int64_t last_seen_us = INT64_MIN;
    uint64_t anomalies = 0;
  };
  std::map<std::string, Acc> agents_;
  uint64_t total_ = 0;
};

// The per-agent figures of `rows` matching `f`, as the scan computed them before cells.
inline std::vector<AgentPerformance> scan_figures(const std::vector<Execution>& rows, const ExecutionFilter& f) {
  AgentFiguresOracle acc;
  for (const Execution& e : rows) {
    if (matches(e, f)) acc.add(e);
  }
  return acc.finish();
}

// Percentiles: equal when exact, else within the sketch's relative error (plus a rounding
// margin for the interpolation).
inline void expect_agents_equal(const std::vector<AgentPerformance>& got, const std::vector<AgentPerformance>& want,
                                bool exact, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const double rel = exact ? 1e-12 : LatencySketch::kRelativeError + 1e-9;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& g = got[i];
    const auto& w = want[i];
    const std::string at = what + " agent " + w.agent_id;
    ASSERT_EQ(g.agent_id, w.agent_id) << what;
    EXPECT_EQ(g.executions, w.executions) << at;
    EXPECT_EQ(g.successes, w.successes) << at;
    EXPECT_EQ(g.anomalies, w.anomalies) << at;
    EXPECT_EQ(g.cost_samples, w.cost_samples) << at;
    EXPECT_EQ(g.last_seen_us, w.last_seen_us) << at;
    EXPECT_DOUBLE_EQ(g.success_rate, w.success_rate) << at;
    expect_near_rel(g.time_mean, w.time_mean, 1e-9, at + " mean");
    ASSERT_EQ(g.mean_cost_usd.has_value(), w.mean_cost_usd.has_value()) << at;
    if (w.mean_cost_usd) expect_near_rel(*g.mean_cost_usd, *w.mean_cost_usd, 1e-9, at + " cost");
    expect_near_rel(g.time_p50, w.time_p50, rel, at + " p50");
    expect_near_rel(g.time_p95, w.time_p95, rel, at + " p95");
    expect_near_rel(g.time_p99, w.time_p99, rel, at + " p99");
  }
}

// A random filter over [t0, t0 + span): since/until rarely aligned to any bucket, sometimes
// absent; a task type or agent now and then.
inline ExecutionFilter random_filter(std::mt19937_64& rng, int64_t t0_us, int64_t span_us, int agents = 7,
                                     int types = 5) {
  ExecutionFilter f;
  std::uniform_int_distribution<int64_t> at(-span_us / 10, span_us + span_us / 10);
  int64_t a = t0_us + at(rng), b = t0_us + at(rng);
  if (a > b) std::swap(a, b);
  if (rng() % 8 != 0) f.since_us = a;
  if (rng() % 8 != 0) f.until_us = b;
  if (rng() % 3 == 0) f.task_type = "type-" + std::to_string(rng() % static_cast<uint64_t>(types));
  if (rng() % 4 == 0) f.agent_id = "agent-" + std::to_string(rng() % static_cast<uint64_t>(agents));
  return f;
}

inline std::string describe(const ExecutionFilter& f) {
  auto o = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
  return "since=" + o(f.since_us) + " until=" + o(f.until_us) + " type=" + f.task_type.value_or("-") +
         " agent=" + f.agent_id.value_or("-");
}

// The dashboard query the checks below ask for `f`.
inline DashboardQuery dashboard_query(const ExecutionFilter& f) {
  DashboardQuery q;
  q.filter = f;
  q.series_agent = "agent-1";
  q.buckets = 24;
  return q;
}

// Answers for `f` (the dashboard's only when `f` has since and until) against the scan of
// `rows`.
inline void check_figures(const StatusOr<PerformanceFigures>& perf, const std::optional<StatusOr<DashboardFigures>>& dash,
                          const std::vector<Execution>& rows, const ExecutionFilter& f);

// Analytics' /agents/performance and dashboard figures for `f` against the scan of `rows`.
inline void check_filter(AnalyticsStore& store, const std::vector<Execution>& rows, const ExecutionFilter& f,
                         uint64_t exact_limit) {
  Analytics analytics(store, AnalyticsOptions{exact_limit});
  std::optional<StatusOr<DashboardFigures>> dash;
  if (f.since_us && f.until_us) dash = analytics.dashboard(dashboard_query(f));
  check_figures(analytics.performance(f), dash, rows, f);
}

// The same, both answers and the scan taken in one snapshot of the store: exact while other
// threads write and roll up. `shared`: answer with that Analytics (its copy of the cells and
// its pending rows kept across calls) instead of a new one with `exact_limit`.
inline void check_filter_in_one_snapshot(AnalyticsStore& store, const ExecutionFilter& f, uint64_t exact_limit,
                                         Analytics* shared = nullptr) {
  std::optional<Analytics> own;
  if (shared == nullptr) own.emplace(store, AnalyticsOptions{exact_limit});
  Analytics& analytics = shared ? *shared : *own;
  std::optional<StatusOr<PerformanceFigures>> perf;
  std::optional<StatusOr<DashboardFigures>> dash;
  std::vector<Execution> rows;
  Status st = store.read_analytics([&](AnalyticsSnapshot& snap) {
    perf = analytics.performance_in(snap, f);
    if (f.since_us && f.until_us) dash = analytics.dashboard_in(snap, dashboard_query(f));
    return snap.scan_edge(INT64_MIN, INT64_MAX, [&](const EdgeRow& r) {
      Execution e;
      e.agent_id = r.agent_id;
      if (r.task_type) e.task_type = std::string(*r.task_type);
      e.execution_time = r.execution_time;
      e.success = r.success;
      e.timestamp_us = r.timestamp_us;
      e.cost_usd = r.cost_usd;
      e.anomaly = r.anomaly;
      rows.push_back(std::move(e));
    });
  });
  ASSERT_TRUE(st.ok()) << st.message();
  check_figures(*perf, dash, rows, f);
}

inline void check_figures(const StatusOr<PerformanceFigures>& perf, const std::optional<StatusOr<DashboardFigures>>& dash_or,
                          const std::vector<Execution>& rows, const ExecutionFilter& f) {
  const std::string what = describe(f);
  ASSERT_TRUE(perf.ok()) << perf.status().message();
  const auto want = scan_figures(rows, f);
  expect_agents_equal(perf->agents, want, perf->exact_percentiles, what);
  uint64_t total = 0;
  for (const auto& a : want) total += a.executions;
  EXPECT_EQ(perf->total_executions, total) << what;

  if (!dash_or) return;  // the dashboard needs since and until
  const StatusOr<DashboardFigures>& dash = *dash_or;
  ASSERT_TRUE(dash.ok()) << dash.status().message();
  EXPECT_EQ(dash->exact_percentiles, perf->exact_percentiles) << what;
  EXPECT_EQ(dash->executions, total) << what;
  EXPECT_EQ(dash->leaderboard.size(), want.size()) << what;
  uint64_t successes = 0, anomalies = 0;
  double cost = 0;
  std::map<std::string, uint64_t> types;
  ExecutionFilter no_type = f;
  no_type.task_type.reset();
  for (const Execution& e : rows) {
    if (matches(e, f)) {
      successes += e.success;
      anomalies += e.anomaly.value_or(false);
      cost += e.cost_usd.value_or(0);
    }
    if (matches(e, no_type) && e.task_type) ++types[*e.task_type];
  }
  EXPECT_EQ(dash->successes, successes) << what;
  EXPECT_EQ(dash->anomalies, anomalies) << what;
  expect_near_rel(dash->cost_usd, cost, 1e-9, what + " cost");
  ASSERT_EQ(dash->task_types.size(), types.size()) << what;
  for (const auto& [name, n] : dash->task_types) EXPECT_EQ(types[name], n) << what << " type " << name;

  // Series: each point against the rows of its own range.
  const int64_t w = dash->bucket_seconds * 1'000'000;
  auto check_series = [&](const std::vector<SeriesPoint>& points, const ExecutionFilter& base,
                          const std::string& tag) -> uint64_t {
    uint64_t sum = 0;
    for (const SeriesPoint& p : points) {
      ExecutionFilter pf = base;
      pf.since_us = std::max(p.start_us, *f.since_us);
      pf.until_us = std::min(p.start_us + w, *f.until_us);
      std::vector<double> times;
      uint64_t ok = 0;
      for (const Execution& e : rows) {
        if (!matches(e, pf)) continue;
        times.push_back(e.execution_time);
        ok += e.success;
      }
      const std::string at = what + " " + tag + " point " + std::to_string(p.start_us);
      EXPECT_EQ(p.executions, times.size()) << at;
      EXPECT_EQ(p.successes, ok) << at;
      sum += p.executions;
      if (times.empty()) {
        EXPECT_FALSE(p.p95_time.has_value()) << at;
      } else {
        std::sort(times.begin(), times.end());
        EXPECT_TRUE(p.p95_time.has_value()) << at;
        if (!p.p95_time) continue;
        expect_near_rel(*p.p95_time, percentile_linear(times, 0.95),
                        dash->exact_percentiles ? 1e-12 : LatencySketch::kRelativeError + 1e-9, at + " p95");
      }
    }
    return sum;
  };
  EXPECT_EQ(check_series(dash->series, f, "series"), total) << what;
  ASSERT_TRUE(dash->agent_series.has_value());
  ExecutionFilter af = f;
  af.agent_id = "agent-1";  // series_agent: the filter's agent_id does not narrow it
  check_series(*dash->agent_series, af, "agent series");
}

}  // namespace agentlearn::testing

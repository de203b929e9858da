#include "service/analytics.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

#include "service/pending_cells.hpp"

namespace agentlearn {

using namespace analytics;

namespace {

// The figures of one slice (an agent, a series point, ...), from cells and edge rows.
struct Acc {
  CellTally tally;
  LatencySketch sketch;
  std::vector<double> exact;  // every time, when the whole range is read as rows
  bool sorted = false;

  Status add_cell(const CellRow& c) {
    tally.merge(c.tally);
    return sketch.merge_encoded(c.sketch);
  }
  void add_row(const EdgeRow& r, bool exact_mode) {
    tally.add(r.execution_time, r.success, r.cost_usd, r.timestamp_us, r.anomaly);
    if (exact_mode) {
      exact.push_back(r.execution_time);
    } else {
      sketch.add(r.execution_time);
    }
  }
  double quantile(double q, bool exact_mode) {
    if (!exact_mode) return sketch.quantile(q);
    if (exact.empty()) return 0;
    if (!sorted) {
      std::sort(exact.begin(), exact.end());
      sorted = true;
    }
    return percentile_linear(exact, q);
  }
};

AgentPerformance agent_figures(const std::string& id, Acc& a, bool exact_mode) {
  AgentPerformance p;
  p.agent_id = id;
  const auto& t = a.tally;
  p.executions = t.executions;
  p.successes = t.successes;
  p.success_rate = static_cast<double>(t.successes) / static_cast<double>(t.executions);
  p.time_mean = t.time_sum() / static_cast<double>(t.executions);
  p.time_p50 = a.quantile(0.50, exact_mode);
  p.time_p95 = a.quantile(0.95, exact_mode);
  p.time_p99 = a.quantile(0.99, exact_mode);
  if (t.cost_n) p.mean_cost_usd = t.cost_sum() / static_cast<double>(t.cost_n);
  p.cost_samples = t.cost_n;
  p.last_seen_us = t.max_ts;
  p.anomalies = t.anomalies;
  p.scored = t.scored;
  return p;
}

int64_t ceil_to(int64_t v, int64_t w) { return -floor_div(-v, w) * w; }
int64_t floor_to(int64_t v, int64_t w) { return floor_div(v, w) * w; }

// How a range is read: whole buckets [aligned_from, aligned_to) from cells, `edges` from
// rows; or, when `all_rows`, every execution of the range from rows.
struct Plan {
  int64_t since = 0, until = 0;
  int64_t aligned_from = 0, aligned_to = 0;
  std::vector<std::pair<int64_t, int64_t>> edges;
  bool all_rows = false;
};

StatusOr<Plan> make_plan(AnalyticsSnapshot& store, int64_t since, int64_t until, uint64_t exact_limit) {
  Plan p;
  p.since = since;
  p.until = until;
  p.aligned_from = p.aligned_to = since;
  if (since >= until) {  // nothing to read: exactly nothing
    p.all_rows = true;
    return p;
  }
  const int64_t a = ceil_to(since, kFinestUs), b = floor_to(until, kFinestUs);
  if (a >= b) {  // within two finest buckets: a few minutes of rows
    p.all_rows = true;
    return p;
  }
  std::vector<BucketRef> buckets = decompose(a, b);
  const BucketRef left{0, a / kFinestUs - 1}, right{0, b / kFinestUs};
  if (since < a) buckets.push_back(left);
  if (b < until) buckets.push_back(right);
  uint64_t total = 0;
  std::optional<CellTally> left_cell, right_cell;
  Status st = store.read_cells(Scope::kAll, buckets, std::nullopt, std::nullopt, /*with_sketch=*/false,
                               [&](const CellRow& c) {
    total += c.tally.executions;
    // A bucket can come as several rows (its stored cell and its pending executions' cell).
    auto merge = [&](std::optional<CellTally>& into) {
      if (into) {
        into->merge(c.tally);
      } else {
        into = c.tally;
      }
    };
    if (c.level == 0 && c.bucket == left.bucket && since < a) {
      merge(left_cell);
    } else if (c.level == 0 && c.bucket == right.bucket && b < until) {
      merge(right_cell);
    }
  });
  if (!st.ok()) return st;
  if (total <= exact_limit) {
    p.all_rows = true;
    return p;
  }
  p.aligned_from = a;
  p.aligned_to = b;
  if (since < a && left_cell) {
    if (left_cell->min_ts >= since) {
      p.aligned_from = a - kFinestUs;  // every row of that bucket is in range
    } else {
      p.edges.emplace_back(since, a);
    }
  }
  if (b < until && right_cell) {
    if (right_cell->max_ts < until) {
      p.aligned_to = b + kFinestUs;
    } else {
      p.edges.emplace_back(b, until);
    }
  }
  return p;
}

// One consumer of a plan: the cells of one scope (optionally one agent and/or type) at
// `buckets`, and the rows that pass its filter.
struct Sink {
  Scope scope = Scope::kAll;
  std::optional<std::string> agent;      // cell and row filter
  std::optional<std::string> task_type;  // row filter; cells by type_key_of()
  std::vector<BucketRef> buckets;
  bool with_sketch = true;  // false: on_cell reads only the tallies
  std::function<Status(const CellRow&)> on_cell;
  std::function<void(const EdgeRow&)> on_row;
};

Status run_plan(AnalyticsSnapshot& store, const Plan& plan, std::vector<Sink>& sinks) {
  if (plan.since >= plan.until) return Status::Ok();
  if (!plan.all_rows) {
    for (Sink& s : sinks) {
      std::optional<std::string> tk;
      if (s.task_type) tk = type_key_of(*s.task_type);
      Status cell_status;
      Status st = store.read_cells(s.scope, s.buckets, s.agent, tk, s.with_sketch, [&](const CellRow& c) {
        if (cell_status.ok()) cell_status = s.on_cell(c);
      });
      if (!st.ok()) return st;
      if (!cell_status.ok()) return cell_status;
    }
  }
  auto on_row = [&](const EdgeRow& r) {
    for (Sink& s : sinks) {
      if (s.agent && r.agent_id != *s.agent) continue;
      if (s.task_type && (!r.task_type || *r.task_type != *s.task_type)) continue;
      s.on_row(r);
    }
  };
  if (plan.all_rows) return store.scan_edge(plan.since, plan.until, on_row);
  for (auto [from, to] : plan.edges) {
    if (Status st = store.scan_edge(from, to, on_row); !st.ok()) return st;
  }
  return Status::Ok();
}

// Lookups by string_view without building a string per cell.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
};

// Per-agent figures over a plan, for /agents/performance and the leaderboard.
struct AgentSink {
  std::unordered_map<std::string, Acc, NameHash, std::equal_to<>> agents;

  Acc& at(std::string_view id) {
    auto it = agents.find(id);
    if (it == agents.end()) it = agents.emplace(std::string(id), Acc{}).first;
    return it->second;
  }

  Sink make(const Plan& plan, const ExecutionFilter& f) {
    Sink s;
    s.scope = f.task_type ? Scope::kAgentType : Scope::kAgent;
    s.agent = f.agent_id;
    s.task_type = f.task_type;
    s.buckets = decompose(plan.aligned_from, plan.aligned_to);
    s.on_cell = [this](const CellRow& c) { return at(c.agent).add_cell(c); };
    const bool exact = plan.all_rows;
    s.on_row = [this, exact](const EdgeRow& r) { at(r.agent_id).add_row(r, exact); };
    return s;
  }

  std::vector<AgentPerformance> finish(bool exact) {
    std::vector<AgentPerformance> out;
    for (auto& [id, a] : agents) {
      if (a.tally.executions > 0) out.push_back(agent_figures(id, a, exact));
    }
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.agent_id < y.agent_id; });
    return out;
  }
};

// A time series over a plan: points of `width_us` from floor(since), each read as the cells
// of its own part of the aligned range plus the rows that fall in it.
struct SeriesSink {
  int64_t first_us = 0, width_us = 0;
  std::vector<Acc> points;

  size_t index(int64_t ts) const { return static_cast<size_t>(floor_div(ts - first_us, width_us)); }

  Sink make(const Plan& plan, int64_t width_s, Scope scope, std::optional<std::string> agent,
            std::optional<std::string> task_type) {
    width_us = width_s * 1'000'000;
    first_us = series_first_us(plan.since, width_s);
    const size_t n = plan.since < plan.until ? index(plan.until - 1) + 1 : 0;
    points.assign(n, Acc{});
    Sink s;
    s.scope = scope;
    s.agent = std::move(agent);
    s.task_type = std::move(task_type);
    for (size_t i = 0; i < n; ++i) {
      const int64_t from = std::max(first_us + static_cast<int64_t>(i) * width_us, plan.aligned_from);
      const int64_t to = std::min(first_us + static_cast<int64_t>(i + 1) * width_us, plan.aligned_to);
      if (from < to) {
        auto part = decompose(from, to);
        s.buckets.insert(s.buckets.end(), part.begin(), part.end());
      }
    }
    s.on_cell = [this](const CellRow& c) {
      const size_t i = index(c.bucket * level_width_us(c.level));
      if (i >= points.size()) return Status::Internal("analytics: a cell outside the series");
      return points[i].add_cell(c);
    };
    const bool exact = plan.all_rows;
    s.on_row = [this, exact](const EdgeRow& r) {
      const size_t i = index(r.timestamp_us);
      if (i < points.size()) points[i].add_row(r, exact);
    };
    return s;
  }

  std::vector<SeriesPoint> finish(bool exact) {
    std::vector<SeriesPoint> out;
    out.reserve(points.size());
    for (size_t i = 0; i < points.size(); ++i) {
      Acc& a = points[i];
      SeriesPoint p;
      p.start_us = first_us + static_cast<int64_t>(i) * width_us;
      p.executions = a.tally.executions;
      p.successes = a.tally.successes;
      p.cost_usd = a.tally.cost_sum();
      if (p.executions > 0) p.p95_time = a.quantile(0.95, exact);
      out.push_back(p);
    }
    return out;
  }
};

Scope scope_for(bool agent, bool task_type) {
  if (agent) return task_type ? Scope::kAgentType : Scope::kAgent;
  return task_type ? Scope::kType : Scope::kAll;
}

}  // namespace

int64_t series_bucket_seconds(int64_t since_us, int64_t until_us, int buckets) {
  for (int64_t w : kLevelSeconds) {
    const int64_t wu = w * 1'000'000;
    const int64_t first = floor_to(since_us, wu);
    const int64_t points = until_us > since_us ? floor_div(until_us - 1 - first, wu) + 1 : 0;
    if (points <= buckets) return w;
  }
  // A whole multiple of the widest level, its points starting at the widest bucket that holds
  // `since` (series_first_us): each point is still a sum of whole cells, and k widest buckets
  // a point make ceil(n / k) <= buckets points.
  const int64_t widest = kLevelSeconds.back();
  const int64_t wu = widest * 1'000'000;
  const int64_t n = floor_div(until_us - 1 - floor_to(since_us, wu), wu) + 1;
  const int64_t k = (n + buckets - 1) / std::max(buckets, 1);
  return widest * k;
}

int64_t series_first_us(int64_t since_us, int64_t width_seconds) {
  const int64_t align = std::min(width_seconds, kLevelSeconds.back()) * 1'000'000;
  return floor_to(since_us, align);
}

namespace {

// [since, until) narrowed to the span the store holds, [first, last]: a hostile range (year 1
// to 9999) then reads and answers no more than "all time" does. Empty when nothing is stored.
// The pending executions an answer over [since, until) can count: those in the finest buckets
// the range touches (its whole buckets and the two partial ones make_plan looks at).
Status load_pending_for(SnapshotWithPending& view, int64_t since, int64_t until) {
  const int64_t from = since < INT64_MIN + kFinestUs ? INT64_MIN : floor_to(since, kFinestUs);
  const int64_t to = until > INT64_MAX - kFinestUs ? INT64_MAX : ceil_to(until, kFinestUs);
  return view.load_pending(from, to);
}

StatusOr<std::pair<int64_t, int64_t>> clamp_to_stored(AnalyticsSnapshot& snap, int64_t since, int64_t until) {
  auto bounds = snap.timestamp_bounds();
  if (!bounds.ok()) return bounds.status();
  if (!*bounds) return std::pair{since, since};
  const int64_t from = std::max(since, (*bounds)->first);
  const int64_t to = std::min(until, (*bounds)->second + 1);
  return from < to ? std::pair{from, to} : std::pair{since, since};
}

}  // namespace

StatusOr<PerformanceFigures> Analytics::performance(const ExecutionFilter& filter) {
  StatusOr<PerformanceFigures> out = PerformanceFigures{};
  Status st = store_.read_analytics([&](AnalyticsSnapshot& snap) -> Status {
    out = performance_in(snap, filter);
    return out.status();
  });
  if (!st.ok()) return st;
  return out;
}

StatusOr<PerformanceFigures> Analytics::performance_in(AnalyticsSnapshot& snap, const ExecutionFilter& filter) {
  PerformanceFigures out;
  auto range = clamp_to_stored(snap, filter.since_us.value_or(INT64_MIN), filter.until_us.value_or(INT64_MAX));
  if (!range.ok()) return range.status();
  if (range->first >= range->second) return out;
  auto epoch = snap.rollup_epoch();
  if (!epoch.ok()) return epoch.status();
  SnapshotWithCachedCells cached(snap, *cells_, *epoch);
  SnapshotWithPending view(cached, *pending_);
  if (Status st = load_pending_for(view, range->first, range->second); !st.ok()) return st;
  auto plan = make_plan(view, range->first, range->second, options_.exact_limit);
  if (!plan.ok()) return plan.status();
  AgentSink agents;
  std::vector<Sink> sinks;
  sinks.push_back(agents.make(*plan, filter));
  if (Status run = run_plan(view, *plan, sinks); !run.ok()) return run;
  out.exact_percentiles = plan->all_rows;
  out.agents = agents.finish(plan->all_rows);
  for (const auto& a : out.agents) out.total_executions += a.executions;
  return out;
}

StatusOr<DashboardFigures> Analytics::dashboard(const DashboardQuery& q) {
  const ExecutionFilter& f = q.filter;
  if (!f.since_us || !f.until_us) return Status::Invalid("the dashboard needs since and until", "since");
  DashboardFigures out;
  Status read = store_.read_analytics([&](AnalyticsSnapshot& snap) { return dashboard_from(snap, q, out); });
  if (!read.ok()) return read;
  return out;
}

StatusOr<DashboardFigures> Analytics::dashboard_in(AnalyticsSnapshot& snap, const DashboardQuery& q) {
  if (!q.filter.since_us || !q.filter.until_us) return Status::Invalid("the dashboard needs since and until", "since");
  DashboardFigures out;
  if (Status st = dashboard_from(snap, q, out); !st.ok()) return st;
  return out;
}

Status Analytics::dashboard_from(AnalyticsSnapshot& store_snap, const DashboardQuery& q, DashboardFigures& out) {
  const ExecutionFilter& f = q.filter;
  auto range = clamp_to_stored(store_snap, *f.since_us, *f.until_us);
  if (!range.ok()) return range.status();
  const auto [since, until] = *range;
  auto epoch = store_snap.rollup_epoch();
  if (!epoch.ok()) return epoch.status();
  SnapshotWithCachedCells cached(store_snap, *cells_, *epoch);
  SnapshotWithPending snap(cached, *pending_);
  if (since < until) {
    if (Status st = load_pending_for(snap, since, until); !st.ok()) return st;
  }
  auto plan = make_plan(snap, since, until, options_.exact_limit);
  if (!plan.ok()) return plan.status();
  out.bucket_seconds = series_bucket_seconds(since, until, q.buckets);

  AgentSink agents;
  SeriesSink series, agent_series;
  std::map<std::string, uint64_t, std::less<>> types;
  std::vector<Sink> sinks;
  sinks.push_back(agents.make(*plan, f));
  sinks.push_back(series.make(*plan, out.bucket_seconds, scope_for(f.agent_id.has_value(), f.task_type.has_value()),
                              f.agent_id, f.task_type));
  if (q.series_agent) {
    sinks.push_back(agent_series.make(*plan, out.bucket_seconds, scope_for(true, f.task_type.has_value()),
                                      q.series_agent, f.task_type));
  }
  {
    Sink s;  // the task types in range (for the filter box: not narrowed by task_type)
    s.scope = f.agent_id ? Scope::kAgentType : Scope::kType;
    s.agent = f.agent_id;
    s.buckets = decompose(plan->aligned_from, plan->aligned_to);
    s.with_sketch = false;
    s.on_cell = [&types](const CellRow& c) {
      if (!c.ttype.empty()) {
        auto name = c.ttype.substr(1);  // type_key_of(): "=" + type
        auto it = types.find(name);
        if (it == types.end()) it = types.emplace(std::string(name), 0).first;
        it->second += c.tally.executions;
      }
      return Status::Ok();
    };
    s.on_row = [&types](const EdgeRow& r) {
      if (!r.task_type) return;
      auto it = types.find(*r.task_type);
      if (it == types.end()) it = types.emplace(std::string(*r.task_type), 0).first;
      ++it->second;
    };
    sinks.push_back(std::move(s));
  }
  if (Status st = run_plan(snap, *plan, sinks); !st.ok()) return st;
  if (since < until) {
    Status st = snap.scan_flagged(since, until, f.agent_id, f.task_type, DashboardFigures::kRecentAnomalies,
                                  [&out](const StoredRow& r) { out.recent_anomalies.push_back(r); });
    if (!st.ok()) return st;
  }

  const bool exact = plan->all_rows;
  out.exact_percentiles = exact;
  out.leaderboard = agents.finish(exact);
  for (const auto& a : out.leaderboard) {
    out.executions += a.executions;
    out.successes += a.successes;
    out.anomalies += a.anomalies;
    out.scored += a.scored;
  }
  // The total cost from one exact sum, not a sum of the agents' rounded ones.
  analytics::ExactSum cost;
  for (auto& [id, a] : agents.agents) cost.merge(a.tally.cost_nusd);
  out.cost_usd = cost.value() / analytics::kCostUnitsPerUsd;
  std::stable_sort(out.leaderboard.begin(), out.leaderboard.end(), [](const auto& x, const auto& y) {
    if (x.success_rate != y.success_rate) return x.success_rate > y.success_rate;
    return x.executions > y.executions;
  });
  out.series = series.finish(exact);
  if (q.series_agent) out.agent_series = agent_series.finish(exact);
  for (auto& [name, n] : types) {
    if (n > 0) out.task_types.emplace_back(name, n);
  }
  std::stable_sort(out.task_types.begin(), out.task_types.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  return Status::Ok();
}

}  // namespace agentlearn

#include "store/analytics_cells.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>


namespace agentlearn::analytics {

std::string type_key(std::optional<std::string_view> task_type) {
  return task_type ? type_key_of(*task_type) : std::string();
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

TimeSpan bucket_span_us(int64_t t, int64_t w) {
  const int64_t b = floor_div(t, w);
  int64_t from = 0, to = 0;
  if (__builtin_mul_overflow(b, w, &from)) from = std::numeric_limits<int64_t>::min();
  if (__builtin_add_overflow(from, w, &to)) to = std::numeric_limits<int64_t>::max();
  return {from, to};
}

std::vector<BucketRef> decompose(int64_t start_us, int64_t end_us) {
  std::vector<BucketRef> out;
  int64_t cur = start_us;
  while (cur < end_us) {
    int level = 0;
    for (int l = kLevels - 1; l > 0; --l) {
      const int64_t w = level_width_us(l);
      if (floor_div(cur, w) * w == cur && end_us - cur >= w) {
        level = l;
        break;
      }
    }
    const int64_t w = level_width_us(level);
    out.push_back({level, floor_div(cur, w)});
    cur += w;
  }
  return out;
}

namespace {
int64_t saturating_round(double v) {
  if (!(v > -9.2e18)) return v != v ? 0 : std::numeric_limits<int64_t>::min();
  if (!(v < 9.2e18)) return std::numeric_limits<int64_t>::max();
  return std::llround(v);
}
}  // namespace

int64_t time_units(double seconds) { return saturating_round(seconds * kTimeUnitsPerSecond); }
int64_t cost_units(double usd) { return saturating_round(usd * kCostUnitsPerUsd); }

void CellTally::add(double execution_time, bool success, std::optional<double> cost, int64_t ts,
                    std::optional<bool> anomaly) {
  ++executions;
  successes += success ? 1 : 0;
  if (anomaly) {
    ++scored;
    anomalies += *anomaly ? 1 : 0;
  }
  time_us.add(time_units(execution_time));
  if (cost) {
    ++cost_n;
    cost_nusd.add(cost_units(*cost));
  }
  min_ts = std::min(min_ts, ts);
  max_ts = std::max(max_ts, ts);
}

void CellTally::merge(const CellTally& o) {
  executions += o.executions;
  successes += o.successes;
  anomalies += o.anomalies;
  scored += o.scored;
  cost_n += o.cost_n;
  time_us.merge(o.time_us);
  cost_nusd.merge(o.cost_nusd);
  min_ts = std::min(min_ts, o.min_ts);
  max_ts = std::max(max_ts, o.max_ts);
}

size_t CellKeyHash::operator()(const CellKey& k) const noexcept {
  size_t h = std::hash<int64_t>()(k.bucket * 8 + k.level) ^ (static_cast<size_t>(k.scope) << 56);
  h ^= std::hash<std::string_view>()(k.agent) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= std::hash<std::string_view>()(k.ttype) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

void CellDeltas::add(std::string_view agent, std::optional<std::string_view> task_type, double execution_time,
                     bool success, std::optional<double> cost, int64_t ts, std::optional<bool> anomaly) {
  const std::string tk = type_key(task_type);
  for (int level = 0; level < kLevels; ++level) {
    const int64_t bucket = floor_div(ts, level_width_us(level));
    for (Scope scope : {Scope::kAgentType, Scope::kAgent, Scope::kType, Scope::kAll}) {
      CellKey key{level, bucket, scope, "", ""};
      if (scope == Scope::kAgentType || scope == Scope::kAgent) key.agent.assign(agent);
      if (scope == Scope::kAgentType || scope == Scope::kType) key.ttype = tk;
      CellDelta& d = cells_[std::move(key)];
      d.tally.add(execution_time, success, cost, ts, anomaly);
      d.sketch.add(execution_time);
    }
  }
}

void CellDeltas::add(const Execution& e) {
  std::optional<std::string_view> type;
  if (e.task_type) type = *e.task_type;
  add(e.agent_id, type, e.execution_time, e.success, e.cost_usd, e.timestamp_us, e.anomaly);
}

std::vector<const std::pair<const CellKey, CellDelta>*> CellDeltas::sorted() const {
  std::vector<const std::pair<const CellKey, CellDelta>*> out;
  out.reserve(cells_.size());
  for (const auto& kv : cells_) out.push_back(&kv);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) {
    return std::tie(a->first.level, a->first.bucket, a->first.scope, a->first.agent, a->first.ttype) <
           std::tie(b->first.level, b->first.bucket, b->first.scope, b->first.agent, b->first.ttype);
  });
  return out;
}

std::vector<BucketRef> CellDeltas::buckets() const {
  std::vector<BucketRef> out;
  for (const auto& kv : cells_) out.push_back({kv.first.level, kv.first.bucket});
  std::sort(out.begin(), out.end(),
            [](const BucketRef& a, const BucketRef& b) { return std::tie(a.level, a.bucket) < std::tie(b.level, b.bucket); });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace agentlearn::analytics

#pragma once
// Analytics aggregates: what a cell is, the time levels, and the in-memory merge of a write
// group's executions into cell deltas (docs/analytics.md).
//
// A cell tallies the executions of one scope key in one aligned time bucket of one level:
//   scope kAgentType  (agent, task type)     scope kAgent  (agent, every type)
//   scope kType       (every agent, type)    scope kAll    (everything)
// Levels are nested (each width divides the next), aligned to the Unix epoch, so any
// range of whole 5-minute buckets is a short list of cells (decompose()).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/execution.hpp"
#include "core/latency_sketch.hpp"

namespace agentlearn::analytics {

inline constexpr std::array<int64_t, 6> kLevelSeconds = {300, 3600, 6 * 3600, 86400, 7 * 86400, 28 * 86400};
inline constexpr int kLevels = static_cast<int>(kLevelSeconds.size());
inline constexpr int64_t kFinestUs = kLevelSeconds[0] * 1'000'000;

inline int64_t level_width_us(int level) { return kLevelSeconds[static_cast<size_t>(level)] * 1'000'000; }

enum class Scope : int { kAgentType = 0, kAgent = 1, kType = 2, kAll = 3 };

// The stored task-type key: "" for an execution without a task type, "=" + type otherwise
// (and "" in the scopes that span every type).
std::string type_key(std::optional<std::string_view> task_type);
inline std::string type_key_of(std::string_view task_type) { return "=" + std::string(task_type); }

int64_t floor_div(int64_t a, int64_t b);

// The aligned bucket of width `w` holding `t`, as [from, to), clamped to the int64 range (a
// row stored before timestamps were validated can sit at either end of it).
struct TimeSpan {
  int64_t from = 0;
  int64_t to = 0;
};
TimeSpan bucket_span_us(int64_t t, int64_t w);

struct BucketRef {
  int level = 0;
  int64_t bucket = 0;  // start / level width
  bool operator==(const BucketRef&) const = default;
};

// [start_us, end_us), both multiples of kFinestUs, as the fewest aligned buckets, in time
// order (greedy: the widest level aligned at the cursor that still fits).
std::vector<BucketRef> decompose(int64_t start_us, int64_t end_us);

// A sum of fixed-point integers (microseconds, nano-dollars) in 128 bits. Exact: the same rows
// give the same bits in whatever order they were added (a double's sum depends on the order of
// its adds), and no sum of in-range values can overflow it (each value is below 2^50, so 2^77
// of them fit). The stores keep it as two int64 columns, value = hi * 2^62 + lo with
// 0 <= lo < 2^62, which SQL can add with a carry.
class ExactSum {
 public:
  static constexpr int kLoBits = 62;
  static constexpr int64_t kLoMask = (int64_t{1} << kLoBits) - 1;

  void add(int64_t v) { v_ += v; }
  void merge(const ExactSum& o) { v_ += o.v_; }
  int64_t hi() const { return static_cast<int64_t>((v_ - lo()) / (static_cast<__int128>(1) << kLoBits)); }
  int64_t lo() const { return static_cast<int64_t>(v_ & kLoMask); }
  static ExactSum from_parts(int64_t hi, int64_t lo) {
    ExactSum s;
    s.v_ = static_cast<__int128>(hi) * (static_cast<__int128>(1) << kLoBits) + lo;
    return s;
  }
  double value() const { return static_cast<double>(v_); }
  bool operator==(const ExactSum&) const = default;

 private:
  __int128 v_ = 0;
};

// The fixed-point units of the sums: an execution time in whole microseconds, a cost in whole
// nano-dollars (both rounded to nearest; values past the int64 range saturate, which no
// validated run reaches: times are at most 1e9 s, costs at most 1e6 USD).
int64_t time_units(double seconds);
int64_t cost_units(double usd);
inline constexpr double kTimeUnitsPerSecond = 1e6;
inline constexpr double kCostUnitsPerUsd = 1e9;

// The additive part of a cell (everything but the sketch).
struct CellTally {
  uint64_t executions = 0;
  uint64_t successes = 0;
  uint64_t anomalies = 0;
  uint64_t scored = 0;  // runs the anomaly detector scored (flagged or not); the rest had no history
  uint64_t cost_n = 0;
  ExactSum time_us;
  ExactSum cost_nusd;
  int64_t min_ts = INT64_MAX;
  int64_t max_ts = INT64_MIN;

  // `anomaly` is empty for a run that was not scored.
  void add(double execution_time, bool success, std::optional<double> cost, int64_t ts, std::optional<bool> anomaly);
  void merge(const CellTally& o);
  double time_sum() const { return time_us.value() / kTimeUnitsPerSecond; }
  double cost_sum() const { return cost_nusd.value() / kCostUnitsPerUsd; }
};

struct CellKey {
  int level = 0;
  int64_t bucket = 0;
  Scope scope = Scope::kAll;
  std::string agent;  // "" in kType and kAll
  std::string ttype;  // type_key(); "" in kAgent and kAll
  bool operator==(const CellKey&) const = default;
};

struct CellKeyHash {
  size_t operator()(const CellKey& k) const noexcept;
};

struct CellDelta {
  CellTally tally;
  LatencySketch sketch;
};

// The cells a set of executions adds to: one per level and scope of each execution.
class CellDeltas {
 public:
  void add(std::string_view agent, std::optional<std::string_view> task_type, double execution_time,
           bool success, std::optional<double> cost, int64_t ts, std::optional<bool> anomaly);
  void add(const Execution& e);
  const std::unordered_map<CellKey, CellDelta, CellKeyHash>& cells() const { return cells_; }
  bool empty() const { return cells_.empty(); }
  void clear() { cells_.clear(); }
  // The cells in key order (level, bucket, scope, agent, ttype): the store's clustering
  // order, so consecutive upserts land on the same pages.
  std::vector<const std::pair<const CellKey, CellDelta>*> sorted() const;
  // The distinct buckets (of every level) these cells fall in, in no particular order.
  std::vector<BucketRef> buckets() const;

 private:
  std::unordered_map<CellKey, CellDelta, CellKeyHash> cells_;
};

}  // namespace agentlearn::analytics

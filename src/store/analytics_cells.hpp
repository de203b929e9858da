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
std::string type_key(const std::optional<std::string>& task_type);
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

// The additive part of a cell (everything but the sketch).
struct CellTally {
  uint64_t executions = 0;
  uint64_t successes = 0;
  uint64_t anomalies = 0;
  uint64_t cost_n = 0;
  double time_sum = 0;
  double cost_sum = 0;
  int64_t min_ts = INT64_MAX;
  int64_t max_ts = INT64_MIN;

  void add(double execution_time, bool success, std::optional<double> cost, int64_t ts, bool anomaly);
  void merge(const CellTally& o);
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
  void add(std::string_view agent, const std::optional<std::string>& task_type, double execution_time,
           bool success, std::optional<double> cost, int64_t ts, bool anomaly);
  void add(const Execution& e);
  const std::unordered_map<CellKey, CellDelta, CellKeyHash>& cells() const { return cells_; }
  bool empty() const { return cells_.empty(); }
  void clear() { cells_.clear(); }
  // The cells in key order (level, bucket, scope, agent, ttype): the store's clustering
  // order, so consecutive upserts land on the same pages.
  std::vector<const std::pair<const CellKey, CellDelta>*> sorted() const;

 private:
  std::unordered_map<CellKey, CellDelta, CellKeyHash> cells_;
};

}  // namespace agentlearn::analytics

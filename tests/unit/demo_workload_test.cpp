// The `serve --demo` workload: deterministic for a seed, about 20 agents whose success rates
// differ by agent and task type, skewed times, unique ids, every record valid.
#include "service/demo_workload.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/execution_json.hpp"
#include "service/agent_stats.hpp"

namespace agentlearn {
namespace {

constexpr int64_t kEnd = 1763942400'000000;  // 2025-11-24T00:00:00Z
constexpr int64_t kWeek = int64_t{7} * 24 * 3600 * 1000000;

// One generated workload shared by the tests (generating it is the slow part).
const std::vector<Execution>& workload() {
  static const std::vector<Execution> w = generate_demo_workload({.seed = 42, .executions = 6000, .end_us = kEnd});
  return w;
}

struct Rate {
  int n = 0, ok = 0;
  double rate() const { return n ? static_cast<double>(ok) / n : 0; }
};

TEST(DemoWorkload, HasTheRequestedSize) {
  EXPECT_EQ(workload().size(), 6000u);
  EXPECT_EQ(generate_demo_workload({.seed = 1, .executions = 37, .end_us = kEnd}).size(), 37u);
  EXPECT_TRUE(generate_demo_workload({.seed = 1, .executions = 0, .end_us = kEnd}).empty());
}

TEST(DemoWorkload, DeterministicForASeed) {
  auto a = generate_demo_workload({.seed = 7, .executions = 500, .end_us = kEnd});
  auto b = generate_demo_workload({.seed = 7, .executions = 500, .end_us = kEnd});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].content_hash, b[i].content_hash) << i;
    EXPECT_EQ(execution_to_json(a[i]), execution_to_json(b[i])) << i;
  }
  auto c = generate_demo_workload({.seed = 8, .executions = 500, .end_us = kEnd});
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].content_hash == c[i].content_hash;
  EXPECT_LT(same, a.size() / 10) << "another seed gives another workload";
}

TEST(DemoWorkload, AboutTwentyDistinctAgents) {
  std::map<std::string, int> per_agent;
  for (const auto& e : workload()) ++per_agent[e.agent_id];
  EXPECT_GE(per_agent.size(), 18u);
  EXPECT_LE(per_agent.size(), 22u);
  for (auto& [id, n] : per_agent) EXPECT_GE(n, 100) << id << " has too few runs to learn from";
}

TEST(DemoWorkload, EveryRecordPassesValidation) {
  for (const auto& e : workload()) {
    std::string text = execution_to_json(e);
    auto parsed = parse_execution(text, kEnd);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
    EXPECT_EQ(parsed->content_hash, e.content_hash) << text;
    EXPECT_FALSE(e.content_hash.empty());
    ASSERT_TRUE(e.cost_usd) << text;
    EXPECT_EQ(parsed->cost_usd, e.cost_usd) << text;
    EXPECT_TRUE(e.task_type && e.task_description && e.execution_id) << text;
    EXPECT_FALSE(e.timestamp_defaulted);
    EXPECT_LE(e.timestamp_us, kEnd);
    EXPECT_GE(e.timestamp_us, kEnd - kWeek);
    EXPECT_GT(e.execution_time, 0);
  }
}

TEST(DemoWorkload, UniqueExecutionIds) {
  std::set<std::string> ids;
  for (const auto& e : workload()) EXPECT_TRUE(ids.insert(*e.execution_id).second) << *e.execution_id;
}

TEST(DemoWorkload, SeveralTaskTypesAndSharedTasks) {
  std::set<std::string> types;
  std::map<std::string, std::set<std::string>> agents_per_task;
  for (const auto& e : workload()) {
    types.insert(*e.task_type);
    agents_per_task[e.task_id].insert(e.agent_id);
  }
  EXPECT_GE(types.size(), 6u);
  size_t shared = 0;
  for (auto& [task, agents] : agents_per_task) shared += agents.size() > 1;
  EXPECT_GT(shared, agents_per_task.size() / 5) << "tasks are attempted by several agents";
}

TEST(DemoWorkload, SuccessRatesDifferByAgent) {
  std::map<std::string, Rate> by_agent;
  Rate all;
  for (const auto& e : workload()) {
    auto& r = by_agent[e.agent_id];
    ++r.n;
    r.ok += e.success;
    ++all.n;
    all.ok += e.success;
  }
  double lo = 1, hi = 0;
  for (auto& [id, r] : by_agent) {
    lo = std::min(lo, r.rate());
    hi = std::max(hi, r.rate());
  }
  EXPECT_GT(hi - lo, 0.2) << "best " << hi << ", worst " << lo;
  EXPECT_GT(all.rate(), 0.3);
  EXPECT_LT(all.rate(), 0.95);
}

TEST(DemoWorkload, AgentsHaveStrengthsByTaskType) {
  // Per agent, the best task type beats the worst by a wide margin for most agents, and the
  // best agent differs between task types (so routing by task type pays).
  std::map<std::string, std::map<std::string, Rate>> rates;
  for (const auto& e : workload()) {
    auto& r = rates[e.agent_id][*e.task_type];
    ++r.n;
    r.ok += e.success;
  }
  size_t with_strength = 0;
  std::map<std::string, std::pair<double, std::string>> best_for_type;
  for (auto& [agent, by_type] : rates) {
    double lo = 1, hi = 0;
    for (auto& [type, r] : by_type) {
      if (r.n < 10) continue;
      lo = std::min(lo, r.rate());
      hi = std::max(hi, r.rate());
      auto& best = best_for_type[type];
      if (r.rate() > best.first) best = {r.rate(), agent};
    }
    with_strength += hi - lo > 0.3;
  }
  EXPECT_GE(with_strength, rates.size() / 2);
  std::set<std::string> best_agents;
  for (auto& [type, best] : best_for_type) best_agents.insert(best.second);
  EXPECT_GE(best_agents.size(), 3u) << "no single agent is best at everything";
}

TEST(DemoWorkload, TimesAreSkewed) {
  std::map<std::string, std::vector<double>> by_type;
  std::vector<double> all;
  for (const auto& e : workload()) {
    by_type[*e.task_type].push_back(e.execution_time);
    all.push_back(e.execution_time);
  }
  std::sort(all.begin(), all.end());
  const double p50 = percentile_linear(all, 0.5), p99 = percentile_linear(all, 0.99);
  EXPECT_GT(p99, 3 * p50) << "p50 " << p50 << ", p99 " << p99;
  double mean = 0;
  for (double t : all) mean += t;
  mean /= static_cast<double>(all.size());
  EXPECT_GT(mean, p50) << "right-skewed: the mean sits above the median";
  for (auto& [type, times] : by_type) {
    std::sort(times.begin(), times.end());
    EXPECT_GT(percentile_linear(times, 0.99), 2 * percentile_linear(times, 0.5)) << type;
  }
  // Task types differ in their typical time.
  double lo = 1e18, hi = 0;
  for (auto& [type, times] : by_type) {
    lo = std::min(lo, percentile_linear(times, 0.5));
    hi = std::max(hi, percentile_linear(times, 0.5));
  }
  EXPECT_GT(hi, 3 * lo);
}

TEST(DemoWorkload, CostsFollowTime) {
  std::vector<double> costs;
  for (const auto& e : workload()) costs.push_back(*e.cost_usd);
  EXPECT_GT(*std::max_element(costs.begin(), costs.end()), 0);
  EXPECT_GE(*std::min_element(costs.begin(), costs.end()), 0);
  std::sort(costs.begin(), costs.end());
  EXPECT_GT(percentile_linear(costs, 0.99), 3 * percentile_linear(costs, 0.5));
}

}  // namespace
}  // namespace agentlearn

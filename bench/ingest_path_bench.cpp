// The CPU cost of the ingest path apart from I/O: validating one execution from its JSON
// body (parse, checks, minify, content hash), a 1,000-record batch, and the per-agent
// statistics over 100,000 rows. Run: build/bench/ingest_path_bench
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "core/execution_json.hpp"
#include "service/agent_stats.hpp"

namespace {

std::string record(int i) {
  return fmt::format(
      R"({{"agent_id":"agent-{}","task_id":"task-{}","execution_time":{}.25,"success":{},"task_type":"type-{}",)"
      R"("task_description":"Fix the failing test number {} in module {} of the billing service",)"
      R"("execution_id":"bench-{}","context":{{"priority":"p{}","repository":"org/repo-{}"}},)"
      R"("metrics":{{"cost_usd":0.0{},"tokens_in":{},"tokens_out":{}}}}})",
      i % 20, i % 10007, i % 300, i % 3 ? "true" : "false", i % 8, i, i % 97, i, i % 3, i % 12, i % 97 + 1, i * 7 % 9000,
      i * 3 % 2000);
}

void BM_ParseExecution(benchmark::State& state) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 10000; ++i) bodies.push_back(record(i));
  size_t i = 0;
  for (auto _ : state) {
    auto e = agentlearn::parse_execution(bodies[i++ % bodies.size()], 1);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseExecution);

void BM_ParseBatch1000(benchmark::State& state) {
  std::string body = "{\"records\":[";
  for (int i = 0; i < 1000; ++i) body += (i ? "," : "") + record(i);
  body += "]}";
  for (auto _ : state) {
    auto batch = agentlearn::parse_batch_json(body, 1, 10000);
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_ParseBatch1000);

void BM_AgentStats100k(benchmark::State& state) {
  std::mt19937 rng(7);
  std::lognormal_distribution<double> time(3, 1);
  std::vector<std::string> agents;
  for (int a = 0; a < 20; ++a) agents.push_back(fmt::format("agent-{}", a));
  std::vector<agentlearn::StatsRow> rows(100000);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].agent_id = agents[i % agents.size()];
    rows[i].execution_time = time(rng);
    rows[i].success = rng() % 3 != 0;
    rows[i].timestamp_us = static_cast<int64_t>(i);
    rows[i].cost_usd = 0.01;
  }
  for (auto _ : state) {
    agentlearn::AgentStatsAccumulator acc;
    for (const auto& r : rows) acc.add(r);
    benchmark::DoNotOptimize(acc.finish());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows.size()));
}
BENCHMARK(BM_AgentStats100k);

}  // namespace

// The CPU cost of the ingest path apart from I/O: validating one execution from its JSON
// body (parse, checks, minify, content hash) and a 1,000-record batch.
// Run: build/bench/ingest_path_bench
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/execution_json.hpp"

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

}  // namespace

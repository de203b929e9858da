// Execution records as ingest and import read them: one JSON record, a JSON batch (array or
// {"executions": [...]}) and NDJSON lines. A record that is accepted serializes to JSON that
// is accepted again as the same record.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/execution_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace agentlearn;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kReceived = 1765000000000000;
  auto one = parse_execution(text, kReceived);
  if (one.ok()) {
    const std::string back = execution_to_json(*one);
    auto again = parse_execution(back, kReceived);
    if (!again.ok()) __builtin_trap();
    if (again->agent_id != one->agent_id || again->task_id != one->task_id || again->success != one->success ||
        again->timestamp_us != one->timestamp_us || again->context_json != one->context_json ||
        again->metrics_json != one->metrics_json) {
      __builtin_trap();
    }
  }
  (void)parse_batch_json(text, kReceived, 100);
  (void)parse_batch_ndjson(text, kReceived, 100);
  return 0;
}

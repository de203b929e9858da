// Request bodies read as nlohmann::json (recommendations, the learning routes, query-string
// contexts, CLI flags): any bytes either parse within the depth bound or are refused; never a
// crash, never unbounded recursion. What parses survives a round trip through dump().
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bounded_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = agentlearn::parse_bounded_json(text, "request body", "body");
  if (!parsed.ok()) return 0;
  if (agentlearn::json_nesting_depth(text) > agentlearn::kMaxJsonDepth) __builtin_trap();
  const std::string dumped = parsed->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto again = agentlearn::parse_bounded_json(dumped, "request body", "body");
  if (!again.ok() || *again != *parsed) __builtin_trap();
  return 0;
}

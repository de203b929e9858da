// RFC 3339 timestamps and time filters: whatever parses lies in the one documented range and
// prints as text that parses back to the same instant.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace agentlearn;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto parsed : {parse_rfc3339_us(text), parse_time_filter_us(text)}) {
    if (!parsed) continue;
    if (*parsed < kMinTimestampUs || *parsed > kMaxTimestampUs) __builtin_trap();
    if (parse_rfc3339_us(format_rfc3339(*parsed)) != parsed) __builtin_trap();
  }
  return 0;
}

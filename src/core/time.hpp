#pragma once
// RFC 3339 timestamps and Unix seconds, as the API accepts and prints them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentlearn {

int64_t now_us();
// Parses RFC 3339 ("2025-11-24T00:00:00Z", "2025-11-24T00:00:00.5+02:00"); nullopt if invalid.
std::optional<int64_t> parse_rfc3339_us(std::string_view text);
// Parses RFC 3339 or Unix seconds ("1732406400", "1732406400.25"), for query filters.
std::optional<int64_t> parse_time_filter_us(std::string_view text);
// Formats as RFC 3339 in UTC with microseconds when they are not zero.
std::string format_rfc3339(int64_t us);

}  // namespace agentlearn

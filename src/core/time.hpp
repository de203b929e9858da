#pragma once
// RFC 3339 timestamps and Unix seconds, as the API accepts and prints them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentlearn {

// The one range of instants the service takes and shows, in UTC after any offset is applied:
// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, the years a four-digit RFC 3339 date
// can print. A time outside it is refused wherever it is given (records, filters).
inline constexpr int64_t kMinTimestampUs = -62135596800LL * 1000000;
inline constexpr int64_t kMaxTimestampUs = 253402300800LL * 1000000 - 1;

int64_t now_us();
// Parses RFC 3339 ("2025-11-24T00:00:00Z", "2025-11-24T00:00:00.5+02:00"); nullopt if invalid
// or outside [kMinTimestampUs, kMaxTimestampUs] once the offset is applied.
std::optional<int64_t> parse_rfc3339_us(std::string_view text);
// Parses RFC 3339 or Unix seconds ("1732406400", "1732406400.25"), for query filters; the
// same range.
std::optional<int64_t> parse_time_filter_us(std::string_view text);
// Formats as RFC 3339 in UTC with microseconds when they are not zero.
std::string format_rfc3339(int64_t us);

}  // namespace agentlearn

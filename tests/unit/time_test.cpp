// RFC 3339 parsing and formatting, and the since/until filters' Unix seconds.
#include "core/time.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace agentlearn {
namespace {

constexpr int64_t kSec = 1'000'000;
constexpr int64_t k20251124 = 1763942400;  // 2025-11-24T00:00:00Z, from Python's datetime

TEST(ParseRfc3339, UtcZ) {
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00Z"), k20251124 * kSec);
  EXPECT_EQ(parse_rfc3339_us("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_us("2024-02-29T12:34:56Z"), int64_t{1709210096} * kSec);
  EXPECT_EQ(parse_rfc3339_us("9999-12-31T23:59:59Z"), int64_t{253402300799} * kSec);
  EXPECT_EQ(parse_rfc3339_us("0001-01-01T00:00:00Z"), int64_t{-62135596800} * kSec);
}

TEST(ParseRfc3339, OneRangeAfterTheOffset) {
  // The range holds in UTC: an offset may not carry a date past year 9999 or before year 1,
  // nor may a leap second.
  EXPECT_EQ(parse_rfc3339_us("9999-12-31T23:59:59-23:59"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("9999-12-31T23:59:60Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("9999-12-31T23:59:59.999999Z"), kMaxTimestampUs);
  EXPECT_EQ(parse_rfc3339_us("0001-01-01T00:00:00+00:01"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("0001-01-01T00:01:00+00:01"), kMinTimestampUs);
  EXPECT_EQ(parse_rfc3339_us("0000-01-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("0000-12-31T23:00:00-02:00"), kMinTimestampUs + 3600 * kSec);  // 0001-01-01T01:00Z
}

TEST(ParseRfc3339, LowerCaseAndSpaceSeparator) {
  EXPECT_EQ(parse_rfc3339_us("2025-11-24t00:00:00z"), k20251124 * kSec);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24 00:00:00Z"), k20251124 * kSec);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24X00:00:00Z"), std::nullopt);
}

TEST(ParseRfc3339, Offsets) {
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T02:00:00+02:00"), k20251124 * kSec);
  EXPECT_EQ(parse_rfc3339_us("2025-11-23T19:30:00-04:30"), k20251124 * kSec);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00+00:00"), k20251124 * kSec);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00-00:00"), k20251124 * kSec);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T23:59:00+23:59"), k20251124 * kSec);
}

TEST(ParseRfc3339, MalformedOffsetsAreRefused) {
  for (const char* s : {"2025-11-24T00:00:00+0200", "2025-11-24T00:00:00+02", "2025-11-24T00:00:00+2:00",
                        "2025-11-24T00:00:00+02:0", "2025-11-24T00:00:00+24:00", "2025-11-24T00:00:00+02:60",
                        "2025-11-24T00:00:00+02:00Z", "2025-11-24T00:00:00+", "2025-11-24T00:00:00 +02:00"}) {
    EXPECT_EQ(parse_rfc3339_us(s), std::nullopt) << s;
  }
}

TEST(ParseRfc3339, Fractions) {
  const int64_t base = k20251124 * kSec;
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.5Z"), base + 500000);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.05Z"), base + 50000);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.000001Z"), base + 1);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.123456Z"), base + 123456);
  // Beyond microseconds the digits are accepted (up to nanoseconds) and truncated.
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.1234567Z"), base + 123456);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.123456789Z"), base + 123456);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.999999999Z"), base + 999999);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T02:00:00.25+02:00"), base + 250000);
}

TEST(ParseRfc3339, FractionLimitsAndShape) {
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.1234567890Z"), std::nullopt) << "10 digits";
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.Z"), std::nullopt) << "no digits";
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00,5Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("2025-11-24T00:00:00.5"), std::nullopt) << "no zone";
}

TEST(ParseRfc3339, LeapYears) {
  EXPECT_TRUE(parse_rfc3339_us("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339_us("2000-02-29T00:00:00Z"));  // divisible by 400
  EXPECT_EQ(parse_rfc3339_us("2000-02-29T00:00:00Z"), int64_t{951782400} * kSec);
  EXPECT_EQ(parse_rfc3339_us("2025-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("1900-02-29T00:00:00Z"), std::nullopt);  // divisible by 100 only
  EXPECT_EQ(parse_rfc3339_us("2100-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("2024-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339_us("1900-03-01T00:00:00Z"), int64_t{-2203891200} * kSec);
}

TEST(ParseRfc3339, InvalidDatesAndTimes) {
  for (const char* s : {"2025-00-10T00:00:00Z", "2025-13-10T00:00:00Z", "2025-01-00T00:00:00Z",
                        "2025-01-32T00:00:00Z", "2025-04-31T00:00:00Z", "2025-06-31T00:00:00Z",
                        "2025-09-31T00:00:00Z", "2025-11-31T00:00:00Z", "2025-11-24T24:00:00Z",
                        "2025-11-24T23:60:00Z", "2025-11-24T23:59:61Z"}) {
    EXPECT_EQ(parse_rfc3339_us(s), std::nullopt) << s;
  }
  for (const char* s : {"2025-01-31T00:00:00Z", "2025-03-31T00:00:00Z", "2025-12-31T23:59:59Z",
                        "2025-04-30T00:00:00Z"}) {
    EXPECT_TRUE(parse_rfc3339_us(s)) << s;
  }
}

TEST(ParseRfc3339, LeapSecondFoldsIntoNextSecond) {
  EXPECT_EQ(parse_rfc3339_us("2016-12-31T23:59:60Z"), int64_t{1483228800} * kSec);
}

TEST(ParseRfc3339, MalformedShapes) {
  for (const char* s : {"", "2025-11-24", "2025-11-24T00:00:00", "2025-11-24T00:00Z", "2025-11-24T00:00:00ZZ",
                        "2025-11-24T00:00:00Z ", " 2025-11-24T00:00:00Z", "25-11-24T00:00:00Z",
                        "2025/11/24T00:00:00Z", "2025-11-24T00-00-00Z", "2025-1-24T00:00:00Z",
                        "2025-11-24T0:00:00Z", "+2025-11-24T00:00:00Z", "2025-11-24T00:00:0aZ",
                        "abcd-ef-ghTij:kl:mnZ", "1732406400"}) {
    EXPECT_EQ(parse_rfc3339_us(s), std::nullopt) << '"' << s << '"';
  }
}

TEST(FormatRfc3339, WholeSecondsHaveNoFraction) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(k20251124 * kSec), "2025-11-24T00:00:00Z");
  EXPECT_EQ(format_rfc3339(int64_t{1709210096} * kSec), "2024-02-29T12:34:56Z");
  EXPECT_EQ(format_rfc3339(int64_t{253402300799} * kSec), "9999-12-31T23:59:59Z");
}

TEST(FormatRfc3339, Microseconds) {
  EXPECT_EQ(format_rfc3339(k20251124 * kSec + 1), "2025-11-24T00:00:00.000001Z");
  EXPECT_EQ(format_rfc3339(k20251124 * kSec + 500000), "2025-11-24T00:00:00.500000Z");
  EXPECT_EQ(format_rfc3339(k20251124 * kSec + 999999), "2025-11-24T00:00:00.999999Z");
}

TEST(FormatRfc3339, NegativeEpoch) {
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(-kSec), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(-500000), "1969-12-31T23:59:59.500000Z");
  EXPECT_EQ(format_rfc3339(-86400 * kSec), "1969-12-31T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-86400 * kSec - 1), "1969-12-30T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(int64_t{-2203891200} * kSec), "1900-03-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(int64_t{-62135596800} * kSec), "0001-01-01T00:00:00Z");
}

TEST(FormatRfc3339, RoundTripsThroughParse) {
  for (int64_t us : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{-999999}, int64_t{-1000001}, int64_t{123456789},
                     k20251124 * kSec + 654321, int64_t{951782400} * kSec - 1, int64_t{-62135596800} * kSec,
                     int64_t{253402300799} * kSec + 999999, int64_t{1709210096123456}}) {
    auto back = parse_rfc3339_us(format_rfc3339(us));
    ASSERT_TRUE(back) << format_rfc3339(us);
    EXPECT_EQ(*back, us) << format_rfc3339(us);
  }
  // A sweep across 1960..2080 at odd steps, so every month and leap day is crossed.
  for (int64_t us = int64_t{-315619200} * kSec; us < int64_t{3471292800} * kSec; us += int64_t{86399} * kSec * 7 + 13) {
    ASSERT_EQ(parse_rfc3339_us(format_rfc3339(us)), us) << format_rfc3339(us);
  }
}

TEST(NowUs, IsRecentAndMonotonicEnough) {
  int64_t a = now_us();
  int64_t b = now_us();
  EXPECT_GT(a, k20251124 * kSec - int64_t{365} * 86400 * kSec);
  EXPECT_LE(a, b);
}

TEST(ParseTimeFilter, UnixSeconds) {
  EXPECT_EQ(parse_time_filter_us("1732406400"), int64_t{1732406400} * kSec);
  EXPECT_EQ(parse_time_filter_us("0"), 0);
  EXPECT_EQ(parse_time_filter_us("1732406400.25"), int64_t{1732406400} * kSec + 250000);
  EXPECT_EQ(parse_time_filter_us("1732406400.5"), int64_t{1732406400} * kSec + 500000);
  EXPECT_EQ(parse_time_filter_us("-1"), -kSec);
  EXPECT_EQ(parse_time_filter_us("-1.5"), -1500000);
  EXPECT_EQ(parse_time_filter_us("0.000001"), 1);
}

TEST(ParseTimeFilter, UnixSecondsRange) {
  EXPECT_EQ(parse_time_filter_us("253402300799"), int64_t{253402300799} * kSec);  // 9999-12-31T23:59:59Z
  EXPECT_EQ(parse_time_filter_us("253402300800"), std::nullopt);                  // year 10000
  EXPECT_EQ(parse_time_filter_us("-62135596801"), std::nullopt);                  // year 0
  EXPECT_EQ(parse_time_filter_us("-62135596800"), kMinTimestampUs);               // 0001-01-01T00:00:00Z
  EXPECT_EQ(parse_time_filter_us("0000-06-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_time_filter_us("1e300"), std::nullopt);
  EXPECT_EQ(parse_time_filter_us("99999999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_time_filter_us("-inf"), std::nullopt);
}

TEST(ParseTimeFilter, MalformedNumbers) {
  for (const char* s : {"", "abc", "12abc", "1732406400 ", " 1732406400", "+1732406400", "1.2.3", "0x10", "nan",
                        "inf", "-", "--1", "2025-11-24"}) {
    EXPECT_EQ(parse_time_filter_us(s), std::nullopt) << '"' << s << '"';
  }
}

TEST(ParseTimeFilter, AcceptsRfc3339) {
  EXPECT_EQ(parse_time_filter_us("2025-11-24T00:00:00Z"), k20251124 * kSec);
  EXPECT_EQ(parse_time_filter_us("2025-11-24T02:00:00.5+02:00"), k20251124 * kSec + 500000);
  EXPECT_EQ(parse_time_filter_us("2025-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_time_filter_us("2025-11-24T00:00:00"), std::nullopt);
}

}  // namespace
}  // namespace agentlearn

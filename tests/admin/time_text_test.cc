#include "admin/time_text.h"

#include <gtest/gtest.h>

#include <chrono>

namespace weft::admin {
namespace {

using namespace std::chrono;

Clock::time_point at(sys_days day, milliseconds since_midnight) {
  return time_point_cast<Clock::duration>(day + since_midnight);
}

TEST(TimeText, ParsesRfc3339) {
  const sys_days day = 2026y / November / 27;
  EXPECT_EQ(parse_rfc3339("2026-11-27T10:00:00Z"), at(day, 10h));
  EXPECT_EQ(parse_rfc3339("2026-11-27t10:00:00z"), at(day, 10h));
  EXPECT_EQ(parse_rfc3339("2026-11-27 10:00:00Z"), at(day, 10h));
  EXPECT_EQ(parse_rfc3339("2026-11-27T10:00:00.25Z"), at(day, 10h + 250ms));
  EXPECT_EQ(parse_rfc3339("2026-11-27T10:00:00.123456Z"), at(day, 10h + 123ms));
  EXPECT_EQ(parse_rfc3339("2026-11-27T11:30:00+01:30"), at(day, 10h));
  EXPECT_EQ(parse_rfc3339("2026-11-27T08:00:00-02:00"), at(day, 10h));
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), at(2024y / February / 29, 0ms));
}

TEST(TimeText, RejectsWhatIsNotRfc3339) {
  for (const char* text : {"", "2026-11-27", "2026-11-27T10:00:00", "2026-11-27T10:00Z",
                           "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-27T24:00:00Z",
                           "2026-11-27T10:00:00.Z", "2026-11-27T10:00:00Zjunk",
                           "2026-11-27T10:00:00+0100", "26-11-27T10:00:00Z", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(text).has_value()) << text;
  }
}

TEST(TimeText, DurationsCountBackFromNow) {
  const Clock::time_point now = at(2026y / November / 27, 10h);
  EXPECT_EQ(parse_time_or_ago("1h", now), now - 1h);
  EXPECT_EQ(parse_time_or_ago("30m", now), now - 30min);
  EXPECT_EQ(parse_time_or_ago("7d", now), now - days(7));
  EXPECT_EQ(parse_time_or_ago("1h30m", now), now - 90min);
  EXPECT_EQ(parse_time_or_ago("2026-11-27T09:00:00Z", now), now - 1h);
  EXPECT_EQ(parse_time_or_ago("100000000d", now), Clock::time_point{});  // clamped to 1970
  for (const char* text : {"", "1", "-1h", "1 h", "soon", "1h1d"}) {
    EXPECT_FALSE(parse_time_or_ago(text, now).has_value()) << text;
  }
}

TEST(TimeText, FormatsUtcWithMillisecondsAndReadsItBack) {
  const Clock::time_point time = at(2026y / January / 2, 3h + 4min + 5s + 6ms);
  EXPECT_EQ(format_rfc3339(time), "2026-01-02T03:04:05.006Z");
  EXPECT_EQ(parse_rfc3339(format_rfc3339(time)), time);
  EXPECT_EQ(format_rfc3339(Clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace weft::admin

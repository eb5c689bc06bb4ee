#include "rest/schedule.h"

#include <gtest/gtest.h>

namespace weft::rest {
namespace {

using namespace std::chrono;

system_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi) {
  return sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi);
}

CronExpression cron(const char* text) {
  auto c = CronExpression::parse(text);
  EXPECT_TRUE(c.ok()) << c.error().message();
  return *c;
}

TEST(CronTest, EveryFifteenMinutes) {
  auto c = cron("*/15 * * * *");
  EXPECT_EQ(c.next_after(at(2026, 11, 27, 10, 7)), at(2026, 11, 27, 10, 15));
  EXPECT_EQ(c.next_after(at(2026, 11, 27, 10, 15)), at(2026, 11, 27, 10, 30));
  EXPECT_EQ(c.next_after(at(2026, 11, 27, 23, 50)), at(2026, 11, 28, 0, 0));
}

TEST(CronTest, WeekdaysAtTwo) {
  auto c = cron("0 2 * * 1-5");
  // 2026-11-27 is a Friday: the next weekday 02:00 after Friday 03:00 is Monday the 30th.
  EXPECT_EQ(c.next_after(at(2026, 11, 27, 3, 0)), at(2026, 11, 30, 2, 0));
  EXPECT_EQ(c.next_after(at(2026, 11, 26, 3, 0)), at(2026, 11, 27, 2, 0));
}

TEST(CronTest, ListsMonthsAndSundayAsSeven) {
  EXPECT_EQ(cron("30 6 1 1,7 *").next_after(at(2026, 2, 1, 0, 0)), at(2026, 7, 1, 6, 30));
  EXPECT_EQ(cron("0 0 * * 7").next_after(at(2026, 11, 27, 0, 0)), at(2026, 11, 29, 0, 0));
  // Both day fields restricted: either matches (the 1st, or any Monday).
  EXPECT_EQ(cron("0 0 1 * 1").next_after(at(2026, 11, 27, 0, 0)), at(2026, 11, 30, 0, 0));
}

TEST(CronTest, LeapDayIsFoundYearsAhead) {
  EXPECT_EQ(cron("0 12 29 2 *").next_after(at(2026, 3, 1, 0, 0)), at(2028, 2, 29, 12, 0));
}

TEST(CronTest, BadExpressionsNameTheField) {
  auto fields = CronExpression::parse("* * * *");
  ASSERT_FALSE(fields.ok());
  EXPECT_NE(fields.error().message().find("has 4 fields; expected 5"), std::string::npos);
  auto hour = CronExpression::parse("0 24 * * *");
  ASSERT_FALSE(hour.ok());
  EXPECT_NE(hour.error().message().find("hour field '24'"), std::string::npos);
  EXPECT_FALSE(CronExpression::parse("*/0 * * * *").ok());
  EXPECT_FALSE(CronExpression::parse("5-1 * * * *").ok());
  EXPECT_FALSE(CronExpression::parse("* * * JAN *").ok());
}

TEST(ScheduleTest, IntervalCountsFromTheRunsStart) {
  auto s = Schedule::every(minutes(5));
  EXPECT_EQ(s.next_run(at(2026, 11, 27, 10, 0)), at(2026, 11, 27, 10, 5));
  EXPECT_EQ(s.describe(), "every 300s");
  EXPECT_EQ(Schedule::cron(cron("0 * * * *")).describe(), "cron '0 * * * *'");
}

}  // namespace
}  // namespace weft::rest

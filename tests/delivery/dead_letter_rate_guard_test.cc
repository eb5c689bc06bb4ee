#include "delivery/dead_letter_rate_guard.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

TEST(DeadLetterRateGuard, JudgesOnlyAFullWindow) {
  DeadLetterRateGuard guard(0.5, 10);
  EXPECT_FALSE(guard.record(9, true)) << "9 of 9 failed, but the window is not full yet";
  EXPECT_TRUE(guard.record(1, true));
  EXPECT_TRUE(guard.tripped());
  EXPECT_DOUBLE_EQ(guard.rate(), 1.0);
}

TEST(DeadLetterRateGuard, TripsWhenTheRateGoesAboveTheLimitNotAtIt) {
  DeadLetterRateGuard guard(0.5, 10);
  EXPECT_FALSE(guard.record(5, false));
  EXPECT_FALSE(guard.record(5, true)) << "exactly 50% is allowed";
  EXPECT_TRUE(guard.record(1, true)) << "the oldest success left the window: 6 of 10";
}

TEST(DeadLetterRateGuard, OldFailuresLeaveTheWindow) {
  DeadLetterRateGuard guard(0.5, 10);
  EXPECT_FALSE(guard.record(4, true));
  EXPECT_FALSE(guard.record(100, false)) << "a long run of deliveries replaces the window";
  EXPECT_DOUBLE_EQ(guard.rate(), 0.0);
  EXPECT_FALSE(guard.record(5, true));
  EXPECT_FALSE(guard.tripped());
}

TEST(DeadLetterRateGuard, StaysTrippedAndReportsItOnce) {
  DeadLetterRateGuard guard(0.2, 5);
  EXPECT_TRUE(guard.record(5, true));
  EXPECT_FALSE(guard.record(100, false)) << "already tripped: not reported again";
  EXPECT_TRUE(guard.tripped());
}

TEST(DeadLetterRateGuard, ZeroTurnsItOff) {
  DeadLetterRateGuard guard(0, 5);
  EXPECT_FALSE(guard.record(1000, true));
  EXPECT_FALSE(guard.tripped());
}

}  // namespace
}  // namespace weft

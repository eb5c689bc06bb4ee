#include "runtime/backoff.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(BackoffTest, CeilingsGrowByTheMultiplierUntilMax) {
  Backoff backoff(BackoffOptions{milliseconds(100), milliseconds(10'000), 3.0}, 1);
  EXPECT_EQ(backoff.ceiling(1), milliseconds(100));
  EXPECT_EQ(backoff.ceiling(2), milliseconds(300));
  EXPECT_EQ(backoff.ceiling(3), milliseconds(900));
  EXPECT_EQ(backoff.ceiling(4), milliseconds(2'700));
  EXPECT_EQ(backoff.ceiling(5), milliseconds(8'100));
  EXPECT_EQ(backoff.ceiling(6), milliseconds(10'000));
  EXPECT_EQ(backoff.ceiling(1'000'000), milliseconds(10'000));  // pow overflows to inf: still max
}

TEST(BackoffTest, TwoArgumentConstructorDoublesAsBefore) {
  Backoff backoff(milliseconds(100), milliseconds(1'000), 1);
  EXPECT_EQ(backoff.options().multiplier, 2.0);
  EXPECT_EQ(backoff.ceiling(1), milliseconds(100));
  EXPECT_EQ(backoff.ceiling(2), milliseconds(200));
  EXPECT_EQ(backoff.ceiling(4), milliseconds(800));
  EXPECT_EQ(backoff.ceiling(5), milliseconds(1'000));
}

TEST(BackoffTest, DelaysAreJitteredWithinTheCeiling) {
  Backoff backoff(BackoffOptions{milliseconds(100), milliseconds(5'000), 2.0}, 42);
  for (int n = 1; n <= 50; ++n) {
    const auto delay = backoff.next();
    EXPECT_EQ(backoff.attempts(), n);
    EXPECT_GE(delay, milliseconds(0)) << "attempt " << n;
    EXPECT_LE(delay, backoff.ceiling(n)) << "attempt " << n;
  }
}

TEST(BackoffTest, JitterSpreadsOverTheWholeRange) {
  Backoff backoff(BackoffOptions{milliseconds(1'000), milliseconds(1'000), 2.0}, 7);
  int low = 0;
  int high = 0;
  for (int i = 0; i < 200; ++i) {
    const auto delay = backoff.next();
    if (delay < milliseconds(250)) ++low;
    if (delay > milliseconds(750)) ++high;
  }
  // Uniform on [0, 1000]: about 50 each; a constant or half-range delay would give 0.
  EXPECT_GT(low, 20);
  EXPECT_GT(high, 20);
}

TEST(BackoffTest, SameSeedSameSchedule) {
  Backoff a(milliseconds(100), milliseconds(30'000), 99);
  Backoff b(milliseconds(100), milliseconds(30'000), 99);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(BackoffTest, RetryAfterHintWinsEvenOverMax) {
  Backoff backoff(milliseconds(100), seconds(30), 1);
  EXPECT_EQ(backoff.next(seconds(60)), seconds(60));
  EXPECT_EQ(backoff.next(milliseconds(5)), milliseconds(5));
  EXPECT_EQ(backoff.attempts(), 2);  // hinted attempts count too
}

TEST(BackoffTest, RetryAfterHintIsCappedAtAnHourAndNeverNegative) {
  Backoff backoff(milliseconds(100), seconds(30), 1);
  EXPECT_EQ(backoff.next(hours(48)), hours(1));
  EXPECT_EQ(backoff.next(milliseconds(-5)), milliseconds(0));
}

TEST(BackoffTest, ResetStartsTheScheduleOver) {
  Backoff backoff(BackoffOptions{milliseconds(100), milliseconds(100'000), 10.0}, 3);
  for (int i = 0; i < 4; ++i) (void)backoff.next();
  backoff.reset();
  EXPECT_EQ(backoff.attempts(), 0);
  EXPECT_LE(backoff.next(), milliseconds(100));
}

TEST(BackoffTest, MultiplierBelowOneIsConstant) {
  Backoff backoff(BackoffOptions{milliseconds(500), milliseconds(10'000), 0.5}, 1);
  EXPECT_EQ(backoff.options().multiplier, 1.0);
  EXPECT_EQ(backoff.ceiling(10), milliseconds(500));
}

TEST(BackoffTest, ZeroInitialMeansNoDelay) {
  Backoff backoff(BackoffOptions{milliseconds(0), milliseconds(10'000), 2.0}, 1);
  EXPECT_EQ(backoff.ceiling(5'000), milliseconds(0));
  EXPECT_EQ(backoff.next(), milliseconds(0));
}

}  // namespace
}  // namespace weft

#include "delivery/rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace weft {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using TimePoint = TokenBucket::TimePoint;

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);

TEST(TokenBucketTest, StartsFullThenWaitsOneIntervalPerToken) {
  TokenBucket bucket(10, 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.reserve(1, kT0), nanoseconds(0)) << i;
  EXPECT_EQ(bucket.reserve(1, kT0), milliseconds(100));
  EXPECT_EQ(bucket.reserve(1, kT0), milliseconds(200));  // queued behind the previous one
}

TEST(TokenBucketTest, SteadyRateNeverWaits) {
  TokenBucket bucket(10, 1);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(bucket.reserve(1, kT0 + milliseconds(100) * i), nanoseconds(0)) << i;
  }
  EXPECT_GT(bucket.reserve(1, kT0 + milliseconds(9'950)), nanoseconds(0));  // too soon
}

TEST(TokenBucketTest, IdleTimeRefillsOnlyUpToBurst) {
  TokenBucket bucket(10, 5);
  EXPECT_EQ(bucket.reserve(5, kT0), nanoseconds(0));
  EXPECT_DOUBLE_EQ(bucket.tokens(kT0), 0.0);
  EXPECT_DOUBLE_EQ(bucket.tokens(kT0 + milliseconds(200)), 2.0);
  EXPECT_DOUBLE_EQ(bucket.tokens(kT0 + seconds(60)), 5.0);
  EXPECT_EQ(bucket.reserve(5, kT0 + seconds(60)), nanoseconds(0));
  EXPECT_EQ(bucket.reserve(1, kT0 + seconds(60)), milliseconds(100));
}

TEST(TokenBucketTest, BatchLargerThanBurstGoesIntoDebt) {
  TokenBucket bucket(10, 10);
  // 10 tokens on hand, 20 owed: 2 s at 10/s.
  EXPECT_EQ(bucket.reserve(30, kT0), seconds(2));
  EXPECT_DOUBLE_EQ(bucket.tokens(kT0), -20.0);
  // The next caller waits for the debt too.
  EXPECT_EQ(bucket.reserve(1, kT0 + seconds(1)), milliseconds(1'100));
  EXPECT_EQ(bucket.reserve(0, kT0 + seconds(2)), milliseconds(100));
}

TEST(TokenBucketTest, ClockGoingBackwardsCountsAsNoTime) {
  TokenBucket bucket(10, 1);
  EXPECT_EQ(bucket.reserve(1, kT0 + seconds(1)), nanoseconds(0));
  // This caller read the clock 50 ms before the previous one took the lock. The token it gets
  // is free at kT0 + 1.1 s, 150 ms after the time it read.
  EXPECT_EQ(bucket.reserve(1, kT0 + milliseconds(950)), milliseconds(150));
}

// Two pipelines sharing one limiter, each sending as soon as it is allowed: together they get
// the limiter's rate (plus the initial burst), and each gets about half.
TEST(TokenBucketTest, SharedBucketIsFairAndRespectsTheTotalRate) {
  TokenBucket bucket(100, 10);
  TimePoint ready[2] = {kT0, kT0};
  int sent[2] = {0, 0};
  const TimePoint end = kT0 + seconds(10);
  for (;;) {
    // Whoever is ready first asks next; at a tie (both acting at once) the one that sent less.
    int who = ready[0] < ready[1] ? 0 : 1;
    if (ready[0] == ready[1]) who = sent[0] <= sent[1] ? 0 : 1;
    const TimePoint act = ready[who] + bucket.reserve(1, ready[who]);
    if (act > end) break;
    ++sent[who];
    ready[who] = act;
  }
  EXPECT_NEAR(sent[0] + sent[1], 10 + 100 * 10, 1);
  EXPECT_NEAR(sent[0], sent[1], 2);
}

TEST(TokenBucketTest, ConcurrentReservationsAreAllCounted) {
  TokenBucket bucket(1, 100'000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) (void)bucket.reserve(1, kT0);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_DOUBLE_EQ(bucket.tokens(kT0), 60'000.0);
}

TEST(TokenBucketTest, NonPositiveRateIsUnlimited) {
  TokenBucket bucket(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(bucket.reserve(1'000, kT0), nanoseconds(0));
}

TEST(TokenBucketTest, ZeroBurstMeansOneSecondsWorth) {
  EXPECT_EQ(TokenBucket(50, 0).burst(), 50u);
  EXPECT_EQ(TokenBucket(0.5, 0).burst(), 1u);
}

TEST(RateLimiterRegistryTest, NamesShareOneBucket) {
  auto registry = RateLimiterRegistry::build({{"stripe", {25, 5}}, {"crm", {2, 0}}});
  ASSERT_TRUE(registry.ok()) << registry.error().message();
  auto a = registry->find("stripe");
  auto b = registry->find("stripe");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->per_second(), 25);
  EXPECT_EQ(a->burst(), 5u);
  EXPECT_EQ(registry->find("crm")->burst(), 2u);
  EXPECT_EQ(registry->find("nope"), nullptr);
  EXPECT_EQ(registry->names(), (std::vector<std::string>{"crm", "stripe"}));

  // What one user takes, the other no longer has.
  EXPECT_EQ(a->reserve(5, kT0), nanoseconds(0));
  EXPECT_EQ(b->reserve(1, kT0), milliseconds(40));
}

TEST(RateLimiterRegistryTest, RejectsANonPositiveRateNamingTheLimiter) {
  auto registry = RateLimiterRegistry::build({{"ok", {1, 1}}, {"broken", {0, 1}}});
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(registry.error().message(),
            "rate limiter 'broken': 'per_second' must be a positive number");
}

}  // namespace
}  // namespace weft

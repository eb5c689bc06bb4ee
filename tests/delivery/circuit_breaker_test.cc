#include "delivery/circuit_breaker.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = CircuitBreaker::TimePoint;

// An arbitrary fixed origin: the breaker only ever sees the times the test passes.
const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);

CircuitBreakerOptions threshold_only(int threshold, milliseconds open_for) {
  CircuitBreakerOptions options;
  options.failure_threshold = threshold;
  options.open_for = open_for;
  return options;
}

TEST(CircuitBreakerTest, StateValuesAreTheGaugeValues) {
  EXPECT_EQ(static_cast<int>(BreakerState::kClosed), 0);
  EXPECT_EQ(static_cast<int>(BreakerState::kHalfOpen), 1);
  EXPECT_EQ(static_cast<int>(BreakerState::kOpen), 2);
  EXPECT_STREQ(to_string(BreakerState::kHalfOpen), "half_open");
}

TEST(CircuitBreakerTest, StartsClosedAndAllows) {
  CircuitBreaker breaker;
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker.allow_request(kT0));
  EXPECT_EQ(breaker.time_until_probe(kT0), milliseconds(0));
  EXPECT_EQ(breaker.describe(kT0), "closed");
}

TEST(CircuitBreakerTest, OpensAfterThresholdConsecutiveFailures) {
  CircuitBreaker breaker(threshold_only(3, seconds(30)));
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_EQ(breaker.describe(kT0), "closed (2 consecutive failures)");
  breaker.record_failure(kT0 + seconds(1));
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.opened_at(), kT0 + seconds(1));
  EXPECT_FALSE(breaker.allow_request(kT0 + seconds(2)));
}

TEST(CircuitBreakerTest, SuccessResetsTheConsecutiveCount) {
  CircuitBreaker breaker(threshold_only(3, seconds(30)));
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  breaker.record_success(kT0);
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  breaker.record_failure(kT0);
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, OpenWaitsForTheCoolDownThenLetsExactlyOneProbeThrough) {
  CircuitBreaker breaker(threshold_only(1, seconds(30)));
  breaker.record_failure(kT0);
  ASSERT_EQ(breaker.state(), BreakerState::kOpen);

  EXPECT_EQ(breaker.time_until_probe(kT0), seconds(30));
  EXPECT_EQ(breaker.time_until_probe(kT0 + seconds(18)), seconds(12));
  EXPECT_EQ(breaker.describe(kT0 + seconds(18)), "open for 12s more after 1 consecutive failure");
  EXPECT_FALSE(breaker.allow_request(kT0 + seconds(29)));
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);

  EXPECT_TRUE(breaker.allow_request(kT0 + seconds(30)));  // the probe
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(breaker.allow_request(kT0 + seconds(30)));  // probe outstanding
  EXPECT_FALSE(breaker.allow_request(kT0 + seconds(300)));
  EXPECT_EQ(breaker.time_until_probe(kT0 + seconds(31)), seconds(30));  // polling interval
}

TEST(CircuitBreakerTest, TimeUntilProbeRoundsUpAndBottomsOutAtZero) {
  CircuitBreaker breaker(threshold_only(1, seconds(1)));
  breaker.record_failure(kT0);
  EXPECT_EQ(breaker.time_until_probe(kT0 + std::chrono::microseconds(999'001)), milliseconds(1));
  EXPECT_EQ(breaker.time_until_probe(kT0 + seconds(5)), milliseconds(0));
  EXPECT_EQ(breaker.describe(kT0 + seconds(5)), "open, probe due now, after 1 consecutive failure");
}

TEST(CircuitBreakerTest, ProbeFailureReopensWithAFreshCoolDown) {
  CircuitBreaker breaker(threshold_only(2, seconds(30)));
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  const TimePoint probe_time = kT0 + seconds(45);
  ASSERT_TRUE(breaker.allow_request(probe_time));
  breaker.record_failure(probe_time + seconds(1));

  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.opened_at(), probe_time + seconds(1));
  EXPECT_EQ(breaker.describe(probe_time + seconds(1)), "open for 30s more after the probe failed");
  EXPECT_FALSE(breaker.allow_request(probe_time + seconds(30)));
  EXPECT_TRUE(breaker.allow_request(probe_time + seconds(31)));
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
}

TEST(CircuitBreakerTest, ProbeSuccessClosesAndForgetsPastFailures) {
  CircuitBreaker breaker(threshold_only(2, seconds(30)));
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  ASSERT_TRUE(breaker.allow_request(kT0 + seconds(30)));
  breaker.record_success(kT0 + seconds(31));

  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker.allow_request(kT0 + seconds(31)));
  EXPECT_EQ(breaker.describe(kT0 + seconds(31)), "closed");
  breaker.record_failure(kT0 + seconds(32));
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);  // the count started over
}

TEST(CircuitBreakerTest, LateResultsWhileOpenAreIgnored) {
  CircuitBreaker breaker(threshold_only(1, seconds(30)));
  breaker.record_failure(kT0);
  breaker.record_success(kT0 + seconds(1));  // a write sent before the trip
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  breaker.record_failure(kT0 + seconds(20));  // must not extend the cool-down
  EXPECT_EQ(breaker.opened_at(), kT0);
  EXPECT_TRUE(breaker.allow_request(kT0 + seconds(30)));
}

CircuitBreakerOptions rate_only(double rate, std::size_t window, std::size_t min_calls) {
  CircuitBreakerOptions options;
  options.failure_threshold = 0;
  options.failure_rate = rate;
  options.window = window;
  options.min_calls = min_calls;
  options.open_for = seconds(10);
  return options;
}

TEST(CircuitBreakerTest, RateRuleWaitsForMinCalls) {
  CircuitBreaker breaker(rate_only(0.5, 10, 4));
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);  // 3 of 3 failed, but fewer than min_calls
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  breaker.record_failure(kT0);
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.describe(kT0), "open for 10s more after 4 of the last 4 calls failed");
}

TEST(CircuitBreakerTest, RateRuleOpensWhenTheFailureShareReachesTheRate) {
  CircuitBreaker breaker(rate_only(0.5, 4, 4));
  // Alternating outcomes never give 2 consecutive failures, but half of the calls fail.
  breaker.record_success(kT0);
  breaker.record_failure(kT0);
  breaker.record_success(kT0);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  breaker.record_failure(kT0);  // 2 of 4
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, RateWindowForgetsOldCalls) {
  CircuitBreaker breaker(rate_only(0.75, 4, 4));
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  breaker.record_success(kT0);
  breaker.record_success(kT0);  // window F F S S: 50%
  breaker.record_failure(kT0);  // F S S F: 50%, the first failure slid out
  breaker.record_success(kT0);  // S S F S: 25%
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  breaker.record_failure(kT0);  // S F S F
  breaker.record_failure(kT0);  // F S F F: 75%
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, ThresholdStillAppliesWithTheRateRule) {
  CircuitBreakerOptions options = rate_only(0.9, 100, 50);
  options.failure_threshold = 2;
  CircuitBreaker breaker(options);
  breaker.record_failure(kT0);
  breaker.record_failure(kT0);
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, OptionsValidation) {
  EXPECT_TRUE(CircuitBreakerOptions{}.validate().ok());
  CircuitBreakerOptions options;
  options.failure_rate = 1.5;
  Status s = options.validate();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(s.error().message().find("'failure_rate'"), std::string::npos);

  options = rate_only(0.5, 5, 10);
  s = options.validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("'min_calls'"), std::string::npos);
}

}  // namespace
}  // namespace weft

#include "runtime/freshness.h"

#include <gtest/gtest.h>

#include "runtime/throughput.h"

namespace weft {
namespace {

using namespace std::chrono_literals;

const Clock::time_point kStart = Clock::time_point{} + 1000h;

FreshnessPolicy slo(std::chrono::milliseconds max_age, bool only_when_active = false) {
  FreshnessPolicy p;
  p.max_age = max_age;
  p.only_when_active = only_when_active;
  return p;
}

TEST(FreshnessMonitor, AgeIsMeasuredFromTheNewestEventTimeDelivered) {
  FreshnessMonitor m(slo(15min), kStart);
  m.delivered(kStart + 10min, kStart + 2min);  // delivered late: the data is 8 minutes old
  m.delivered(kStart + 11min, kStart + 1min);  // an older event does not make it fresher
  auto r = m.read(kStart + 12min, false, std::nullopt);
  EXPECT_EQ(r.age, 10min);
  EXPECT_FALSE(r.breached);
}

TEST(FreshnessMonitor, RecordsWithoutEventTimeCountFromTheirDelivery) {
  FreshnessMonitor m(slo(15min), kStart);
  m.delivered(kStart + 10min, Clock::time_point{});
  EXPECT_EQ(m.read(kStart + 12min, false, std::nullopt).age, 2min);
}

TEST(FreshnessMonitor, SilenceLongerThanMaxAgeIsABreachNamingAgeAndSlo) {
  FreshnessMonitor m(slo(15min), kStart);
  m.delivered(kStart, Clock::time_point{});
  EXPECT_FALSE(m.read(kStart + 15min, false, std::nullopt).breached);
  auto r = m.read(kStart + 16min + 40s + 123ms, false, std::nullopt);
  EXPECT_TRUE(r.breached);
  EXPECT_EQ(r.reason,
            "freshness SLO breached: the newest delivered data is 16m40s old (max_age 15m)");
  m.delivered(kStart + 17min, Clock::time_point{});
  EXPECT_FALSE(m.read(kStart + 17min, false, std::nullopt).breached) << "recovers on delivery";
}

TEST(FreshnessMonitor, BeforeAnyDeliveryTheAgeCountsFromTheStart) {
  FreshnessMonitor m(slo(1min), kStart);
  auto r = m.read(kStart + 2min, false, std::nullopt);
  EXPECT_EQ(r.age, 2min);
  EXPECT_TRUE(r.breached);
}

TEST(FreshnessMonitor, WithoutAnSloNothingIsJudged) {
  FreshnessMonitor m(FreshnessPolicy{}, kStart);
  auto r = m.read(kStart + 24h, true, std::nullopt);
  EXPECT_EQ(r.age, 24h);
  EXPECT_FALSE(r.breached);
}

TEST(FreshnessMonitor, SourceActiveIgnoresSilenceWithoutWork) {
  FreshnessMonitor m(slo(15min, true), kStart);
  m.delivered(kStart, Clock::time_point{});
  auto idle = m.read(kStart + 5h, false, std::nullopt);
  EXPECT_FALSE(idle.breached) << "a quiet webhook is not stale";
  EXPECT_EQ(idle.age, 5h) << "the age is still reported";
  EXPECT_EQ(idle.waiting, 0ms);
}

TEST(FreshnessMonitor, SourceActiveJudgesHowLongWorkHasWaited) {
  FreshnessMonitor m(slo(15min, true), kStart);
  m.delivered(kStart, Clock::time_point{});
  // Hours of silence, then records arrive and the sink is down.
  EXPECT_FALSE(m.read(kStart + 5h, true, std::nullopt).breached)
      << "the clock starts when the work appears, not at the last delivery hours ago";
  EXPECT_FALSE(m.read(kStart + 5h + 15min, true, std::nullopt).breached);
  auto r = m.read(kStart + 5h + 16min, true, std::nullopt);
  EXPECT_TRUE(r.breached);
  EXPECT_EQ(r.waiting, 16min);
  EXPECT_EQ(r.reason, "freshness SLO breached: records have waited 16m without a delivery "
                      "(max_age 15m, when source_active)");
}

TEST(FreshnessMonitor, SourceActiveDeliveringThroughABacklogIsNotStale) {
  FreshnessMonitor m(slo(15min, true), kStart);
  m.read(kStart, true, std::nullopt);
  for (auto t = kStart; t < kStart + 1h; t += 5min) m.delivered(t, Clock::time_point{});
  EXPECT_FALSE(m.read(kStart + 1h, true, std::nullopt).breached);
}

TEST(FreshnessMonitor, SourceActiveTakesTheSourcesOwnBacklogAge) {
  FreshnessMonitor m(slo(15min, true), kStart);
  m.delivered(kStart, Clock::time_point{});
  auto r = m.read(kStart + 1min, true, 20min);  // CDC: the oldest unconfirmed commit
  EXPECT_TRUE(r.breached);
  EXPECT_EQ(r.waiting, 20min);
}

TEST(FreshnessMonitor, EventTimesAheadOfTheClockAreNotNegative) {
  FreshnessMonitor m(slo(15min), kStart);
  m.delivered(kStart, kStart + 1h);
  EXPECT_EQ(m.read(kStart, false, std::nullopt).age, 0ms);
}

TEST(ThroughputMeter, RatesAreTakenOverTheLastWindow) {
  ThroughputMeter meter;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  Rates first = meter.sample(t0, 0, 0);
  EXPECT_EQ(first.in_per_second, 0);
  for (int s = 1; s <= 30; ++s) meter.sample(t0 + std::chrono::seconds(s), s * 100, s * 50);
  // 100/s in and 50/s out throughout; then the input stops for five seconds.
  Rates steady = meter.sample(t0 + 31s, 3100, 1550);
  EXPECT_DOUBLE_EQ(steady.in_per_second, 100);
  EXPECT_DOUBLE_EQ(steady.out_per_second, 50);
  Rates slowed = meter.sample(t0 + 36s, 3100, 1550);
  EXPECT_NEAR(slowed.in_per_second, 50, 1e-9) << "half of the last ten seconds had no input";
}

TEST(ThroughputMeter, ASampleAfterALongGapAveragesOverTheGap) {
  ThroughputMeter meter;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  meter.sample(t0, 0, 0);
  Rates r = meter.sample(t0 + 100s, 1000, 1000);
  EXPECT_DOUBLE_EQ(r.in_per_second, 10);
}

}  // namespace
}  // namespace weft

#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft {

// A token bucket (DESIGN.md §4): tokens accrue at `per_second` up to `burst`; taking n tokens
// that are not there puts the bucket into debt and tells the caller how long to wait, the way
// Go's rate.Limiter hands out reservations. So a batch larger than the burst is never refused,
// it just waits in proportion to its size, and over time callers together never exceed the
// rate.
//
// The bucket starts full. Time is a parameter so tests drive it; callers pass
// steady_clock::now(). Times that go backwards (two threads reading the clock in one order and
// locking in the other) count as no time passing.
//
// Thread-safe: a named limiter is shared by several pipelines.
class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // per_second <= 0 (or not finite) means unlimited: reserve() always returns 0.
  // burst 0 means one second's worth of tokens (at least 1).
  TokenBucket(double per_second, std::size_t burst);

  // Takes n tokens and returns how long the caller must wait before acting on them: 0 if they
  // were available now. The tokens are taken either way; a caller that waits the returned time
  // stays within the rate. n = 0 returns the wait until the bucket is out of debt.
  std::chrono::nanoseconds reserve(std::size_t n, TimePoint now);

  // Tokens available at `now` (negative while in debt), for gauges and tests.
  double tokens(TimePoint now) const;

  double per_second() const { return per_second_; }
  std::size_t burst() const { return burst_; }

 private:
  double refilled_locked(TimePoint now) const;

  const double per_second_;
  const std::size_t burst_;
  mutable std::mutex mutex_;
  double tokens_;
  std::optional<TimePoint> last_;  // when tokens_ was last brought up to date; unset = full
};

// Configuration of one named limiter.
struct RateLimit {
  double per_second = 0;
  std::size_t burst = 0;  // 0 = one second's worth
};

// The named limiters declared in the daemon configuration, built once. Pipelines that name the
// same limiter share one bucket, so their combined rate is what the limit says.
//
// Immutable after build(): find() is safe from any thread.
class RateLimiterRegistry {
 public:
  // invalid_config naming the limiter if a rate is not a positive finite number.
  static Result<RateLimiterRegistry> build(const std::map<std::string, RateLimit>& limits);

  // The shared bucket, or nullptr if no limiter has that name.
  std::shared_ptr<TokenBucket> find(std::string_view name) const;

  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::shared_ptr<TokenBucket>, std::less<>> buckets_;
};

}  // namespace weft

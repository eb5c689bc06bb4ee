#include "delivery/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace weft {

namespace {

bool unlimited(double per_second) { return !(per_second > 0.0) || std::isinf(per_second); }

std::size_t effective_burst(double per_second, std::size_t burst) {
  if (burst > 0) return burst;
  if (unlimited(per_second)) return 1;
  return static_cast<std::size_t>(std::max(1.0, std::ceil(per_second)));
}

}  // namespace

TokenBucket::TokenBucket(double per_second, std::size_t burst)
    : per_second_(per_second),
      burst_(effective_burst(per_second, burst)),
      tokens_(static_cast<double>(burst_)) {}

double TokenBucket::refilled_locked(TimePoint now) const {
  if (!last_ || now <= *last_) return tokens_;
  const double elapsed = std::chrono::duration<double>(now - *last_).count();
  return std::min(static_cast<double>(burst_), tokens_ + elapsed * per_second_);
}

std::chrono::nanoseconds TokenBucket::reserve(std::size_t n, TimePoint now) {
  if (unlimited(per_second_)) return std::chrono::nanoseconds::zero();
  std::lock_guard lock(mutex_);
  tokens_ = refilled_locked(now) - static_cast<double>(n);
  if (!last_ || now > *last_) last_ = now;
  if (tokens_ >= 0) return std::chrono::nanoseconds::zero();
  // The debt is paid off at per_second, counting from last_ (later than `now` if this caller
  // read the clock before another one took the lock). Round up so nobody acts a hair early.
  const auto paid_off = std::chrono::ceil<std::chrono::nanoseconds>(
      std::chrono::duration<double>(-tokens_ / per_second_));
  return paid_off + (*last_ - now);
}

double TokenBucket::tokens(TimePoint now) const {
  if (unlimited(per_second_)) return static_cast<double>(burst_);
  std::lock_guard lock(mutex_);
  return refilled_locked(now);
}

Result<RateLimiterRegistry> RateLimiterRegistry::build(
    const std::map<std::string, RateLimit>& limits) {
  RateLimiterRegistry registry;
  for (const auto& [name, limit] : limits) {
    if (!(limit.per_second > 0.0) || std::isinf(limit.per_second)) {
      return Error::invalid_config("rate limiter '" + name +
                                   "': 'per_second' must be a positive number");
    }
    registry.buckets_.emplace(name, std::make_shared<TokenBucket>(limit.per_second, limit.burst));
  }
  return registry;
}

std::shared_ptr<TokenBucket> RateLimiterRegistry::find(std::string_view name) const {
  auto it = buckets_.find(name);
  return it == buckets_.end() ? nullptr : it->second;
}

std::vector<std::string> RateLimiterRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(buckets_.size());
  for (const auto& [name, bucket] : buckets_) out.push_back(name);
  return out;
}

}  // namespace weft

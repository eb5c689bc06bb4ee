#include "delivery/retry_policy.h"

namespace weft {

namespace {

BackoffOptions backoff_options(const RetryPolicy& policy) {
  return BackoffOptions{policy.initial, policy.max, policy.multiplier};
}

}  // namespace

Status RetryPolicy::validate() const {
  if (initial.count() < 0) return Error::invalid_config("retry: 'initial' must not be negative");
  if (max < initial) return Error::invalid_config("retry: 'max' must not be less than 'initial'");
  if (!(multiplier >= 1.0)) return Error::invalid_config("retry: 'multiplier' must be at least 1");
  if (max_attempts < 0) return Error::invalid_config("retry: 'max_attempts' must not be negative");
  if (max_elapsed.count() < 0) {
    return Error::invalid_config("retry: 'max_elapsed' must not be negative");
  }
  return Status::ok_status();
}

bool RetryPolicy::exhausted(int attempts_made, std::chrono::milliseconds elapsed) const {
  if (max_attempts > 0 && attempts_made >= max_attempts) return true;
  if (max_elapsed.count() > 0 && elapsed >= max_elapsed) return true;
  return false;
}

Backoff RetryPolicy::make_backoff() const { return Backoff(backoff_options(*this)); }

Backoff RetryPolicy::make_backoff(std::uint64_t seed) const {
  return Backoff(backoff_options(*this), seed);
}

}  // namespace weft

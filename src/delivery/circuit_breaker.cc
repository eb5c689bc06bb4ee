#include "delivery/circuit_breaker.h"

#include <algorithm>
#include <utility>

namespace weft {

namespace {

using std::chrono::milliseconds;

// Whole seconds, rounded up, for messages: "open for 1s more" rather than "for 0s more".
std::string seconds_text(std::chrono::steady_clock::duration d) {
  return std::to_string(std::chrono::ceil<std::chrono::seconds>(d).count()) + "s";
}

std::string failures_text(int n) {
  return std::to_string(n) + (n == 1 ? " consecutive failure" : " consecutive failures");
}

}  // namespace

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kHalfOpen:
      return "half_open";
    case BreakerState::kOpen:
      return "open";
  }
  return "unknown";
}

Status CircuitBreakerOptions::validate() const {
  if (failure_threshold < 0) {
    return Error::invalid_config("circuit breaker: 'failure_threshold' must not be negative");
  }
  if (!(failure_rate >= 0.0 && failure_rate <= 1.0)) {
    return Error::invalid_config("circuit breaker: 'failure_rate' must be between 0 and 1");
  }
  if (failure_rate > 0.0 && window == 0) {
    return Error::invalid_config("circuit breaker: 'window' must be at least 1");
  }
  if (failure_rate > 0.0 && min_calls > window) {
    return Error::invalid_config("circuit breaker: 'min_calls' must not exceed 'window'");
  }
  if (open_for.count() < 0) {
    return Error::invalid_config("circuit breaker: 'open_for' must not be negative");
  }
  return Status::ok_status();
}

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options) : options_(options) {
  options_.failure_threshold = std::max(options_.failure_threshold, 0);
  if (!(options_.failure_rate >= 0.0)) options_.failure_rate = 0.0;  // also catches NaN
  options_.failure_rate = std::min(options_.failure_rate, 1.0);
  options_.window = std::max<std::size_t>(options_.window, 1);
  options_.min_calls = std::clamp<std::size_t>(options_.min_calls, 1, options_.window);
  options_.open_for = std::max(options_.open_for, milliseconds::zero());
  outcomes_.assign(options_.window, false);
}

bool CircuitBreaker::allow_request(TimePoint now) {
  switch (state()) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kHalfOpen:
      return false;  // the probe is still out
    case BreakerState::kOpen:
      if (now < opened_at_ + options_.open_for) return false;
      state_.store(BreakerState::kHalfOpen, std::memory_order_release);
      return true;
  }
  return false;
}

void CircuitBreaker::record_success(TimePoint /*now*/) {
  switch (state()) {
    case BreakerState::kClosed:
      consecutive_failures_ = 0;
      remember(false);
      return;
    case BreakerState::kHalfOpen:
      close();
      return;
    case BreakerState::kOpen:
      return;  // a late result from before the trip
  }
}

void CircuitBreaker::record_failure(TimePoint now) {
  switch (state()) {
    case BreakerState::kClosed:
      ++consecutive_failures_;
      remember(true);
      if (options_.failure_threshold > 0 && consecutive_failures_ >= options_.failure_threshold) {
        open(now, failures_text(consecutive_failures_));
      } else if (rate_exceeded()) {
        open(now, std::to_string(failures_in_window_) + " of the last " +
                      std::to_string(recorded_) + " calls failed");
      }
      return;
    case BreakerState::kHalfOpen:
      open(now, "the probe failed");
      return;
    case BreakerState::kOpen:
      return;  // a late result from before the trip
  }
}

std::chrono::milliseconds CircuitBreaker::time_until_probe(TimePoint now) const {
  switch (state()) {
    case BreakerState::kClosed:
      return milliseconds::zero();
    case BreakerState::kHalfOpen:
      return options_.open_for;
    case BreakerState::kOpen: {
      const auto left = opened_at_ + options_.open_for - now;
      return std::max(std::chrono::ceil<milliseconds>(left), milliseconds::zero());
    }
  }
  return milliseconds::zero();
}

std::string CircuitBreaker::describe(TimePoint now) const {
  switch (state()) {
    case BreakerState::kClosed:
      if (consecutive_failures_ == 0) return "closed";
      return "closed (" + failures_text(consecutive_failures_) + ")";
    case BreakerState::kHalfOpen:
      return "half-open, probe in flight (opened after " + open_reason_ + ")";
    case BreakerState::kOpen: {
      const auto left = opened_at_ + options_.open_for - now;
      if (left <= std::chrono::steady_clock::duration::zero()) {
        return "open, probe due now, after " + open_reason_;
      }
      return "open for " + seconds_text(left) + " more after " + open_reason_;
    }
  }
  return "unknown";
}

void CircuitBreaker::remember(bool failed) {
  if (options_.failure_rate <= 0.0) return;
  if (recorded_ == outcomes_.size()) {
    if (outcomes_[next_slot_]) --failures_in_window_;  // the oldest call leaves the window
  } else {
    ++recorded_;
  }
  outcomes_[next_slot_] = failed;
  if (failed) ++failures_in_window_;
  next_slot_ = (next_slot_ + 1) % outcomes_.size();
}

bool CircuitBreaker::rate_exceeded() const {
  if (options_.failure_rate <= 0.0 || recorded_ < options_.min_calls) return false;
  return static_cast<double>(failures_in_window_) >=
         options_.failure_rate * static_cast<double>(recorded_);
}

void CircuitBreaker::open(TimePoint now, std::string reason) {
  opened_at_ = now;
  open_reason_ = std::move(reason);
  state_.store(BreakerState::kOpen, std::memory_order_release);
}

void CircuitBreaker::close() {
  consecutive_failures_ = 0;
  std::fill(outcomes_.begin(), outcomes_.end(), false);
  next_slot_ = 0;
  recorded_ = 0;
  failures_in_window_ = 0;
  open_reason_.clear();
  state_.store(BreakerState::kClosed, std::memory_order_release);
}

}  // namespace weft

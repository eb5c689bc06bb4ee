#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "weft/status.h"

namespace weft {

// The numeric values are what the gauge weft_circuit_breaker_state reports.
enum class BreakerState : int { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

const char* to_string(BreakerState state);

struct CircuitBreakerOptions {
  // Consecutive failures that open the breaker; 0 disables this rule.
  int failure_threshold = 5;
  // Fraction (0..1] of the last `window` calls that must fail to open the breaker, judged only
  // once at least `min_calls` calls are in the window; 0 disables this rule.
  double failure_rate = 0.0;
  std::size_t window = 20;
  std::size_t min_calls = 10;
  // How long the breaker stays open before it lets one probe through.
  std::chrono::milliseconds open_for{30'000};

  // invalid_config naming the offending field (rate outside 0..1, empty window, min_calls larger
  // than the window, negative threshold or cool-down).
  Status validate() const;
};

// One sink endpoint's circuit breaker (DESIGN.md §4): closed -> open after too many failures ->
// half-open after `open_for`, where exactly one probe is let through; its success closes the
// breaker, its failure opens it again for a fresh `open_for`. While open the pipeline pauses its
// source instead of dead-lettering records because the target is down.
//
// Time is a parameter so tests drive it; callers pass steady_clock::now().
//
// Threading: one thread (the pipeline's) calls every method except state(); state() may be read
// from any thread (the metrics and admin endpoints). Nothing else is synchronised.
//
// Every allow_request() that returns true must be followed by record_success() or
// record_failure(); a probe that is never reported keeps the breaker half-open. Results reported
// while open (a write allowed before the breaker tripped that finished late) are ignored.
class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `options` should pass validate(); out-of-range values are clamped, never trusted blindly.
  explicit CircuitBreaker(CircuitBreakerOptions options = {});

  // Whether a request may be sent now. Closed: yes. Open: no until the cool-down ends, then the
  // breaker turns half-open and this call is the probe (yes, once). Half-open: no while the
  // probe is outstanding.
  bool allow_request(TimePoint now);

  // Half-open: the probe worked, so the breaker closes and forgets past failures.
  void record_success(TimePoint now);
  // Closed: counts the failure and opens the breaker if a rule says so. Half-open: the probe
  // failed, so the breaker opens again with opened_at() = now.
  void record_failure(TimePoint now);

  // Safe from any thread.
  BreakerState state() const { return state_.load(std::memory_order_acquire); }

  // How long to wait before allow_request() can return true: 0 when closed or when the cool-down
  // is over; the rest of the cool-down when open. Half-open, the outstanding probe decides, so
  // this returns `open_for` as a polling interval. Rounded up to whole milliseconds so a caller
  // that sleeps this long does not wake a moment early and spin.
  std::chrono::milliseconds time_until_probe(TimePoint now) const;

  // When the breaker last opened; meaningful only while open or half-open.
  TimePoint opened_at() const { return opened_at_; }

  // One line for logs and the admin API, e.g. "open for 12s more after 5 consecutive failures".
  std::string describe(TimePoint now) const;

  const CircuitBreakerOptions& options() const { return options_; }

 private:
  void remember(bool failed);
  bool rate_exceeded() const;
  void open(TimePoint now, std::string reason);
  void close();

  CircuitBreakerOptions options_;
  std::atomic<BreakerState> state_{BreakerState::kClosed};
  int consecutive_failures_ = 0;
  // Ring buffer of the outcomes of the last options_.window calls (true = failed).
  std::vector<bool> outcomes_;
  std::size_t next_slot_ = 0;
  std::size_t recorded_ = 0;  // calls in the ring, up to window
  std::size_t failures_in_window_ = 0;
  TimePoint opened_at_{};
  std::string open_reason_;  // "5 consecutive failures", "the probe failed", ...
};

}  // namespace weft

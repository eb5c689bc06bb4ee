#pragma once

#include <chrono>
#include <cstdint>

#include "runtime/backoff.h"
#include "weft/status.h"

namespace weft {

// When a failed write is tried again and when the runtime gives up (DESIGN.md §4). The delays
// come from a Backoff built by make_backoff(); this struct only adds the two stopping rules.
// A plain value: copy it freely, share it read-only between threads.
struct RetryPolicy {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{30'000};
  double multiplier = 2.0;
  // Total tries allowed, the first one included (1 = never retry); 0 = unlimited.
  int max_attempts = 0;
  // Time since the first try after which no new try starts; 0 = unlimited.
  std::chrono::milliseconds max_elapsed{0};

  // invalid_config naming the offending field if a value makes no sense (negative durations or
  // counts, multiplier below 1, initial above max).
  Status validate() const;

  // True when no further try may start, given how many tries were made so far (the first one
  // included) and how long ago the first one started. Either limit reached is enough.
  bool exhausted(int attempts_made, std::chrono::milliseconds elapsed) const;

  // A fresh delay schedule for one retry loop. The seeded overload is for deterministic tests.
  Backoff make_backoff() const;
  Backoff make_backoff(std::uint64_t seed) const;
};

}  // namespace weft

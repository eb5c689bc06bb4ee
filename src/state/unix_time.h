#pragma once

// How the state store writes times: unix milliseconds. Private to src/state.

#include <chrono>
#include <cstdint>

#include "weft/record.h"

namespace weft::state {

// Finer precision is dropped (rounding down, also before 1970).
inline std::int64_t to_unix_ms(Clock::time_point time) {
  return std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

// `ms` must lie within the clock's range (about ±292 years around 1970 for nanosecond clocks);
// see fits_time_point.
inline Clock::time_point from_unix_ms(std::int64_t ms) {
  return Clock::time_point(std::chrono::milliseconds(ms));
}

// Whether from_unix_ms(ms) is representable, for values read from outside.
inline bool fits_time_point(std::int64_t ms) {
  constexpr auto kMax =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::duration::max()).count();
  return ms >= -kMax && ms <= kMax;
}

}  // namespace weft::state

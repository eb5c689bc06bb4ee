#pragma once

// Records per second in and out of a pipeline over the last few seconds, for /api and
// `weft status` (Prometheus users take rate() of the counters instead).

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

namespace weft {

struct Rates {
  double in_per_second = 0;
  double out_per_second = 0;
};

// Thread-safe.
class ThroughputMeter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::seconds kWindow{10};

  // Takes the counters' values at `now` and returns the rates since the newest sample at least
  // kWindow old (or the oldest one, early on); zero until time has passed.
  Rates sample(TimePoint now, std::uint64_t records_in, std::uint64_t records_out);

 private:
  struct Sample {
    TimePoint at;
    std::uint64_t in = 0;
    std::uint64_t out = 0;
  };
  std::mutex mutex_;
  std::deque<Sample> samples_;  // oldest first
};

}  // namespace weft

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace weft {

// Exponential backoff with full jitter: the n-th delay is uniform in [0, min(max, initial * 2^n)],
// so many pipelines retrying one target spread out instead of hammering it in lockstep.
// A peer's Retry-After hint replaces the computed delay (capped at `max`). Not thread-safe.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
          std::uint64_t seed = std::random_device{}())
      : initial_(initial), max_(max), rng_(seed) {}

  std::chrono::milliseconds next(std::optional<std::chrono::milliseconds> hint = std::nullopt) {
    ++attempts_;
    if (hint) return std::min(*hint, max_);
    double ceiling = static_cast<double>(initial_.count());
    for (int i = 1; i < attempts_ && ceiling < static_cast<double>(max_.count()); ++i) ceiling *= 2;
    ceiling = std::min(ceiling, static_cast<double>(max_.count()));
    std::uniform_real_distribution<double> jitter(0.0, ceiling);
    return std::chrono::milliseconds(static_cast<std::int64_t>(jitter(rng_)));
  }

  void reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 rng_;
  int attempts_ = 0;
};

}  // namespace weft

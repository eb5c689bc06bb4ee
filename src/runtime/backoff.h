#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>

namespace weft {

// How a Backoff grows. `multiplier` below 1 is treated as 1 (a constant ceiling): a shrinking
// backoff would retry faster the longer a target is down.
struct BackoffOptions {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{30'000};
  double multiplier = 2.0;
};

// Exponential backoff with full jitter: the ceiling of the n-th delay (n counting from 1) is
// min(max, initial * multiplier^(n-1)) and the delay is uniform in [0, ceiling], so many
// pipelines retrying one target spread out instead of hammering it in lockstep.
//
// A peer's Retry-After hint replaces the computed delay and wins even over `max`: a server that
// says "retry after 60s" means it, and retrying at 30s only earns another refusal. The hint is
// capped at kMaxHint so a bogus header cannot park a pipeline for days.
//
// Deterministic for a given seed (tests pass one). Not thread-safe: one retry loop owns it.
class Backoff {
 public:
  // A seed for a Backoff without reading std::random_device each time: the runtime builds one
  // per delivered batch, and a random_device read cost about 1% of a webhook pipeline's CPU.
  static std::uint64_t fresh_seed() {
    thread_local std::mt19937_64 seeds{std::random_device{}()};
    return seeds();
  }

  static constexpr std::chrono::milliseconds kMaxHint = std::chrono::hours(1);

  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
          std::uint64_t seed = fresh_seed())
      : Backoff(BackoffOptions{initial, max}, seed) {}

  explicit Backoff(const BackoffOptions& options, std::uint64_t seed = fresh_seed())
      : options_(options), rng_(seed) {
    if (!(options_.multiplier >= 1.0)) options_.multiplier = 1.0;  // also catches NaN
  }

  // Counts an attempt and returns how long to wait before the next one: the hint if there is one
  // (negative hints count as 0), otherwise a jittered delay below the current ceiling.
  std::chrono::milliseconds next(std::optional<std::chrono::milliseconds> hint = std::nullopt) {
    ++attempts_;
    if (hint) return std::clamp(*hint, std::chrono::milliseconds::zero(), kMaxHint);
    std::uniform_int_distribution<std::int64_t> jitter(0, ceiling(attempts_).count());
    return std::chrono::milliseconds(jitter(rng_));
  }

  // The largest delay next() can return (without a hint) for the given 1-based attempt.
  std::chrono::milliseconds ceiling(int attempt) const {
    const double max = static_cast<double>(std::max(options_.max.count(), std::int64_t{0}));
    const double initial = static_cast<double>(options_.initial.count());
    if (initial <= 0) return std::chrono::milliseconds::zero();  // 0 * inf would be NaN
    // pow may overflow to +inf after many attempts; min() brings it back to max.
    const double grown = initial * std::pow(options_.multiplier, std::max(attempt - 1, 0));
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(grown, max)));
  }

  // Starts the schedule over (after a success).
  void reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }
  const BackoffOptions& options() const { return options_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  int attempts_ = 0;
};

}  // namespace weft

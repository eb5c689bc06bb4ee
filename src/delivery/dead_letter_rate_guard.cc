#include "delivery/dead_letter_rate_guard.h"

#include <algorithm>

namespace weft {

DeadLetterRateGuard::DeadLetterRateGuard(double max_rate, std::size_t window)
    : max_rate_(max_rate), outcomes_(std::max<std::size_t>(window, 1), false) {}

bool DeadLetterRateGuard::record(std::size_t count, bool dead_lettered) {
  if (max_rate_ <= 0 || tripped_) return false;
  // A run longer than the window replaces all of it; only its last `window` entries matter.
  for (std::size_t i = 0; i < std::min(count, outcomes_.size()); ++i) {
    if (recorded_ == outcomes_.size() && outcomes_[next_]) --dead_;
    outcomes_[next_] = dead_lettered;
    if (dead_lettered) ++dead_;
    next_ = (next_ + 1) % outcomes_.size();
    recorded_ = std::min(recorded_ + 1, outcomes_.size());
  }
  if (recorded_ < outcomes_.size() || rate() <= max_rate_) return false;
  tripped_ = true;
  return true;
}

double DeadLetterRateGuard::rate() const {
  if (recorded_ == 0) return 0;
  return static_cast<double>(dead_) / static_cast<double>(recorded_);
}

}  // namespace weft

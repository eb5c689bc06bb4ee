#pragma once

#include <cstddef>
#include <vector>

namespace weft {

// The `dlq.max_dlq_rate` guard: trips once more than `max_rate` of the last `window` settled
// records were dead-lettered, so a misconfigured pipeline pauses instead of draining its whole
// source into the DLQ. It judges only a full window, and stays tripped (the pipeline restarts
// to reset it). A max_rate of 0 turns it off. Single-threaded.
class DeadLetterRateGuard {
 public:
  DeadLetterRateGuard(double max_rate, std::size_t window);

  // Records `count` settled records, all delivered or all dead-lettered. Returns true when this
  // call tripped the guard.
  bool record(std::size_t count, bool dead_lettered);

  bool tripped() const { return tripped_; }
  double max_rate() const { return max_rate_; }
  std::size_t window() const { return outcomes_.size(); }
  // Dead-lettered fraction of the window (of what it has seen, before it is full).
  double rate() const;

 private:
  double max_rate_;
  std::vector<bool> outcomes_;  // a ring: true for a dead-lettered record
  std::size_t next_ = 0;
  std::size_t recorded_ = 0;
  std::size_t dead_ = 0;
  bool tripped_ = false;
};

}  // namespace weft

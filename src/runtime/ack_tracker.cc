#include "runtime/ack_tracker.h"

namespace weft {

Sequence AckTracker::track(const Batch& batch) {
  std::lock_guard lock(mutex_);
  Sequence first = base_ + entries_.size();
  for (const Record& r : batch) entries_.push_back(Entry{r.position, false});
  unacked_ += batch.size();
  return first;
}

void AckTracker::ack(Sequence sequence) { ack_range(sequence, 1); }

void AckTracker::ack_range(Sequence first, std::size_t count) {
  std::lock_guard lock(mutex_);
  for (Sequence s = first; s < first + count; ++s) {
    if (s < base_ || s >= base_ + entries_.size()) continue;  // already committed or unknown
    Entry& e = entries_[s - base_];
    if (!e.acked) {
      e.acked = true;
      --unacked_;
    }
  }
  advance_locked();
}

void AckTracker::advance_locked() {
  while (!entries_.empty() && entries_.front().acked) {
    watermark_ = std::move(entries_.front().position);
    watermark_taken_ = false;
    entries_.pop_front();
    ++base_;
  }
}

std::optional<Position> AckTracker::take_committable() {
  std::lock_guard lock(mutex_);
  if (watermark_taken_) return std::nullopt;
  watermark_taken_ = true;
  return watermark_;
}

std::size_t AckTracker::in_flight() const {
  std::lock_guard lock(mutex_);
  return unacked_;
}

}  // namespace weft

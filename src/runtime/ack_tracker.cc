#include "runtime/ack_tracker.h"

#include <algorithm>

namespace weft {

Sequence AckTracker::track(const Batch& batch) {
  Tracked t;
  std::size_t bytes = 0;
  for (const Record& r : batch) bytes += r.position.size();
  t.positions.reserve(bytes);
  t.ends.reserve(batch.size());
  for (const Record& r : batch) {
    t.positions += r.position;
    t.ends.push_back(t.positions.size());
  }
  t.acked.assign(batch.size(), false);

  std::lock_guard lock(mutex_);
  const Sequence first = next_;
  t.first = first;
  next_ += batch.size();
  unacked_ += batch.size();
  if (!batch.empty()) tracked_.push_back(std::move(t));
  return first;
}

void AckTracker::ack(Sequence sequence) { ack_range(sequence, 1); }

void AckTracker::ack_range(Sequence first, std::size_t count) {
  std::lock_guard lock(mutex_);
  // The batch holding `first`: the first whose end lies beyond it. Few batches are in flight.
  auto batch = std::find_if(tracked_.begin(), tracked_.end(), [first](const Tracked& t) {
    return first < t.first + t.acked.size();
  });
  for (Sequence s = first; s < first + count && batch != tracked_.end(); ++s) {
    if (s >= batch->first + batch->acked.size()) {
      if (++batch == tracked_.end()) break;
    }
    if (s < batch->first) continue;  // already committed
    const std::size_t i = s - batch->first;
    if (!batch->acked[i]) {
      batch->acked[i] = true;
      --unacked_;
    }
  }
  advance_locked();
}

void AckTracker::advance_locked() {
  while (!tracked_.empty()) {
    Tracked& front = tracked_.front();
    const std::size_t before = front.acked_prefix;
    while (front.acked_prefix < front.acked.size() && front.acked[front.acked_prefix]) {
      ++front.acked_prefix;
    }
    if (front.acked_prefix > before) {
      watermark_ = Position(front.position(front.acked_prefix - 1));
      watermark_taken_ = false;
    }
    if (front.acked_prefix < front.acked.size()) break;
    tracked_.pop_front();
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

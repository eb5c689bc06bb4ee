#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "weft/record.h"

namespace weft {

// Sequence number the runtime gives each record in the order the source produced it.
using Sequence = std::uint64_t;

// Decides how far a source may be committed (DESIGN.md §3). Records are tracked in source order;
// acknowledgements may arrive in any order (per-record retries, parallel writes); the committable
// position is that of the last record before the lowest one not yet acknowledged. So a crash
// replays only records after the watermark, and a record that failed holds the watermark back
// until it is delivered, dead-lettered, filtered or recognised as a duplicate.
//
// Thread-safe: the reader tracks while the writer acknowledges.
class AckTracker {
 public:
  // Registers a batch's records (their positions, in order) and returns the sequence of the
  // first; the others follow consecutively.
  Sequence track(const Batch& batch);

  // Marks one record acknowledged. Acknowledging an unknown or already acknowledged sequence is
  // ignored (a retried write may report twice).
  void ack(Sequence sequence);
  void ack_range(Sequence first, std::size_t count);

  // The position up to which everything is acknowledged, if it moved since the last call.
  std::optional<Position> take_committable();

  // Records tracked but not yet acknowledged.
  std::size_t in_flight() const;

 private:
  struct Entry {
    Position position;
    bool acked = false;
  };
  void advance_locked();

  mutable std::mutex mutex_;
  std::deque<Entry> entries_;  // entries_[0] has sequence base_
  Sequence base_ = 0;
  std::size_t unacked_ = 0;
  std::optional<Position> watermark_;  // position of the last record popped off the front
  bool watermark_taken_ = true;
};

}  // namespace weft

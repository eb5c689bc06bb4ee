#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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
  // One tracked batch. Its records' positions are kept back to back in one string rather than
  // as a string each: tracking costs a few allocations per batch, not one per record.
  struct Tracked {
    Sequence first = 0;
    std::string positions;
    std::vector<std::size_t> ends;  // ends[i]: where record i's position ends in `positions`
    std::vector<bool> acked;
    std::size_t acked_prefix = 0;   // records [0, acked_prefix) are acknowledged
    std::string_view position(std::size_t i) const {
      const std::size_t begin = i == 0 ? 0 : ends[i - 1];
      return std::string_view(positions).substr(begin, ends[i] - begin);
    }
  };
  void advance_locked();

  mutable std::mutex mutex_;
  std::deque<Tracked> tracked_;  // oldest first; sequences are consecutive
  Sequence next_ = 0;            // the sequence of the next record tracked
  std::size_t unacked_ = 0;
  std::optional<Position> watermark_;  // position of the last record of the acknowledged prefix
  bool watermark_taken_ = true;
};

}  // namespace weft

#pragma once

// Batches staged ahead (Sink::prepares_batches), kept until their write takes them. A staged
// batch is only used by the write of the same records against the same table: a write of a
// part of the batch (a retry), or one after the table's columns changed, stages again.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "warehouse/staged_batch.h"
#include "weft/record.h"

namespace weft::warehouse {

class PreparedBatches {
 public:
  // `schema`: which reading of the table's columns the staging used; `skip`: the records it
  // left out as loaded before a restart.
  void keep(const Batch& batch, std::uint64_t schema, std::vector<bool> skip, StagedBatch staged);

  // The staging of `batch`, if one was kept for these records, this schema and this `skip`;
  // it is removed either way, as is anything kept before it.
  std::optional<StagedBatch> take(const Batch& batch, std::uint64_t schema,
                                  const std::vector<bool>& skip);

 private:
  struct Prepared {
    Position first;
    Position last;
    std::size_t size = 0;
    std::uint64_t schema = 0;
    std::vector<bool> skip;
    StagedBatch staged;
  };
  // The runtime prepares at most one batch ahead of the one writing; a few more are kept only
  // because a prepared batch may never be written (its pipeline stopped).
  static constexpr std::size_t kKept = 2;

  static bool same_records(const Prepared& p, const Batch& batch);

  std::deque<Prepared> kept_;
};

}  // namespace weft::warehouse

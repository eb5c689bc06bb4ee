#include "warehouse/prepared_batches.h"

#include <utility>

namespace weft::warehouse {

void PreparedBatches::keep(const Batch& batch, std::uint64_t schema, std::vector<bool> skip,
                           StagedBatch staged) {
  if (batch.empty()) return;
  if (kept_.size() == kKept) kept_.pop_front();
  kept_.push_back(Prepared{batch.front().position, batch.back().position, batch.size(), schema,
                           std::move(skip), std::move(staged)});
}

std::optional<StagedBatch> PreparedBatches::take(const Batch& batch, std::uint64_t schema,
                                                 const std::vector<bool>& skip) {
  for (auto it = kept_.begin(); it != kept_.end(); ++it) {
    if (!same_records(*it, batch)) continue;
    std::optional<StagedBatch> out;
    if (it->schema == schema && it->skip == skip) out = std::move(it->staged);
    kept_.erase(kept_.begin(), it + 1);
    return out;
  }
  return std::nullopt;
}

// Records are identified by their positions: a batch and a retried part of it differ in size,
// two batches of one source in their positions. Records without positions (dead letters being
// replayed, some sources) are never identified: their writes stage again.
bool PreparedBatches::same_records(const Prepared& p, const Batch& batch) {
  return !batch.empty() && !p.first.empty() && !p.last.empty() && p.size == batch.size() &&
         p.first == batch.front().position && p.last == batch.back().position;
}

}  // namespace weft::warehouse

#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "weft/headers.h"
#include "weft/payload.h"

namespace weft {

// What happened to the entity a record describes.
enum class Operation { kNone, kCreate, kUpdate, kDelete, kSnapshot };

const char* to_string(Operation op);
std::optional<Operation> parse_operation(const std::string& text);

using Clock = std::chrono::system_clock;

// An opaque marker that only the source which produced it interprets: an LSN, a REST cursor,
// an object key and row, a buffer sequence. The runtime stores and hands it back verbatim.
using Position = std::string;

// The unit that flows through a pipeline (DESIGN.md §2). Records are moved, not shared: each
// stage owns the batch it is working on, so no member is synchronised.
struct Record {
  std::string key;
  Payload value;
  Operation op = Operation::kNone;
  std::optional<Payload> before;            // before-image, for updates and deletes from CDC
  Headers headers;                          // source metadata: _filename, _row, _lsn, ...
  std::string id;                           // idempotency id; empty when the source has none
  Clock::time_point event_time{};
  Clock::time_point ingest_time{};
  Position position;                        // where this record sits in its source
  // Set by a source that could not parse what it read (a CSV row with too few fields, a line
  // that is not JSON): why. `value` then holds the raw input, which need not be JSON. Delivery
  // dead-letters such a record (stage "source") without mapping it or calling the sink, so the
  // rest of the input flows on and nothing is lost.
  std::string rejected;
};

// Records travel in batches; order within a batch is source order.
using Batch = std::vector<Record>;

}  // namespace weft

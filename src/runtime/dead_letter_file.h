#pragma once

#include <string>
#include <vector>

#include "state/state_store.h"
#include "weft/status.h"

namespace weft {

// The `dlq.target: file` dead-letter queue: one JSON object per line (dead_letter_to_json with
// the record), appended and fsynced before the records count as acknowledged. For shipping dead
// letters to another system; `weft dlq` lists and replays only the state-store queue.
//
// Used from one coroutine at a time (the pipeline's writer).
class DeadLetterFile {
 public:
  explicit DeadLetterFile(std::string path) : path_(std::move(path)) {}

  // Appends every letter, then fsyncs. Errors name the file; an unwritable disk is retryable (an
  // operator can free space), a file that cannot be opened is permanent.
  Status append(const std::vector<DeadLetter>& letters);

 private:
  std::string path_;
};

}  // namespace weft

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/record.h"
#include "weft/status.h"

namespace weft {

struct Checkpoint {
  std::string pipeline;
  Position position;
  Clock::time_point updated_at;
};

// Durable daemon state (DESIGN.md §5): checkpoints now; idempotency keys, the DLQ, crosswalks and
// the webhook buffer join as further tables, each added by a numbered migration.
//
// Thread-safe: every method may be called from any thread. A write has returned only once it is
// durable (the SQLite transaction committed in WAL mode with synchronous=FULL).
class StateStore {
 public:
  virtual ~StateStore() = default;

  virtual Result<std::optional<Checkpoint>> load_checkpoint(const std::string& pipeline) = 0;
  virtual Status save_checkpoint(const std::string& pipeline, const Position& position) = 0;
  virtual Result<std::vector<Checkpoint>> list_checkpoints() = 0;
  virtual Status delete_checkpoint(const std::string& pipeline) = 0;

  // The schema version the store is at after migrations.
  virtual int schema_version() const = 0;
};

// Opens (creating if needed) the SQLite state store at `path`, creating parent directories,
// and runs pending migrations. Fails with a message naming the path when it cannot be created,
// opened, written, or was written by a newer weft.
Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path);

}  // namespace weft

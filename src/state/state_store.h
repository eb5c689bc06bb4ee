#pragma once

#include <chrono>
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

  // The pipeline's last saved checkpoint, or nullopt if it has none.
  virtual Result<std::optional<Checkpoint>> load_checkpoint(const std::string& pipeline) = 0;
  // Inserts or replaces the pipeline's checkpoint, stamping updated_at with the current time.
  // The position is stored byte for byte (it may hold any bytes, NUL included).
  virtual Status save_checkpoint(const std::string& pipeline, const Position& position) = 0;
  // Every checkpoint, ordered by pipeline name.
  virtual Result<std::vector<Checkpoint>> list_checkpoints() = 0;
  // Removes the pipeline's checkpoint; succeeds when there is none.
  virtual Status delete_checkpoint(const std::string& pipeline) = 0;

  // The schema version the store is at after migrations.
  virtual int schema_version() const = 0;
};

// Tuning for the SQLite store. The defaults suit the daemon; tests shorten the timeout.
struct SqliteStateStoreOptions {
  // How long a statement waits for another connection's lock (another weft process sharing the
  // file, a backup tool) before failing with a retryable error.
  std::chrono::milliseconds busy_timeout{5000};
};

// Opens (creating if needed) the SQLite state store at `path`, creating parent directories,
// and runs pending migrations. Fails with a message naming the path when it cannot be created,
// opened, written, or was written by a newer weft.
//
// Failures at open: invalid_config when the path cannot be used (a directory cannot be created,
// the file cannot be opened or written, it is not a weft state database, or it was written by a
// newer weft); retryable when another process holds the database locked past the busy timeout;
// permanent for other SQLite failures. Every message starts "state store <path>: ".
//
// Operations on the returned store fail with "state store <path>: <operation> for pipeline
// '<name>': <reason>", retryable for lock contention (SQLITE_BUSY/LOCKED), permanent otherwise.
Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path);
Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path,
                                                            const SqliteStateStoreOptions& options);

}  // namespace weft

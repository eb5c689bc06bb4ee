#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>

#include "state/migrations.h"
#include "weft/status.h"

namespace weft::state {

struct MigrationOutcome {
  int from_version = 0;  // user_version before this call
  int to_version = 0;    // user_version now: the number of entries in the list
};

// Brings the database behind `db` to the newest schema in `list`: each pending migration runs in
// its own write transaction with the user_version bump, so a crash leaves the database at a
// complete earlier version and the next open continues. Safe against another process migrating
// the same file at the same time (the version is re-read after the write lock is taken).
//
// It always commits a write, even when nothing is pending, so a database that cannot be written
// (read-only file, full disk, file-size limit) fails here, at start-up, rather than at the first
// checkpoint.
//
// Errors (messages do not name the file; the caller adds it):
//   - invalid_config "written by a newer weft (schema N, this build knows M)";
//   - invalid_config "the file is not a weft state database (...)" for another program's SQLite
//     database (foreign application_id, or tables but no weft version);
//   - permanent if `list` is not numbered 1, 2, 3, ... (a programming error);
//   - otherwise as classify() says for the failing SQLite call.
// Not thread-safe with respect to `db`: the caller serialises use of the connection.
Result<MigrationOutcome> migrate(sqlite3* db, std::span<const Migration> list);

// Whether the database is weft's (carries kWeftApplicationId) or blank (no application_id, no
// user_version, no tables); `user_version` is its PRAGMA user_version. Reads only, so a caller can
// refuse another program's file before changing anything in it (such as its journal mode).
// Fails with invalid_config "the file is not a weft state database (...)".
Status check_is_weft_database(sqlite3* db, std::int64_t user_version);

}  // namespace weft::state

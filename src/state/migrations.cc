#include "state/migrations.h"

namespace weft::state {
namespace {

// The state database's schema history.
//
// To change the schema (idempotency keys, the DLQ, crosswalk tables, the webhook buffer, ...)
// append ONE entry with the next version number. Never edit, reorder or remove an entry that has
// shipped: databases in the field have already applied it, and user_version only records how
// many entries ran. Each entry runs in its own transaction together with the user_version bump,
// so it is applied completely or not at all.
constexpr Migration kMigrations[] = {
    {1, "create checkpoints",
     R"sql(
       CREATE TABLE checkpoints (
         pipeline   TEXT PRIMARY KEY,
         position   TEXT NOT NULL,
         updated_at INTEGER NOT NULL  -- unix time, milliseconds
       );
     )sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return static_cast<int>(std::size(kMigrations)); }

}  // namespace weft::state

#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace weft::state {

// One step of the state database's schema. A database's version is the number of migrations
// applied to it, stored in PRAGMA user_version.
struct Migration {
  int version;            // its position in the list, counting from 1
  std::string_view name;  // for logs and error messages
  std::string_view sql;   // one or more statements; run inside the migration's transaction
};

// Every migration this build knows, oldest first (defined in migrations.cc). Migrations that
// have shipped are never edited: a schema change is a new entry at the end.
std::span<const Migration> migrations();

// The schema version a database has once every known migration is applied.
int latest_schema_version();

// Stamped into the database header (PRAGMA application_id) by the first migration, so a weft
// state database can be told from another program's SQLite file. ASCII "weft".
inline constexpr std::int32_t kWeftApplicationId = 0x77656674;

}  // namespace weft::state

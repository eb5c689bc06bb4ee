#pragma once

// The settings of one `sql_query` source (docs/connectors/sources/sql_query.md), checked and
// ready to use. Every cross-field rule lives in from(), so `weft validate` and the factory agree.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "weft/registry.h"
#include "weft/settings.h"
#include "weft/status.h"

namespace weft::sql_query {

enum class Dialect { kPostgres, kSqlite };

const char* to_string(Dialect dialect);

struct SqlQueryConfig {
  Dialect dialect = Dialect::kSqlite;
  std::string dsn;   // postgres: libpq conninfo or URI; holds the password: never logged
  std::string path;  // sqlite: the database file
  // Exactly one of the two is set: the user's SELECT (trailing `;` removed), or a table name
  // as written (`scores`, `analytics.scores`).
  std::string query;
  std::string table;
  std::string watermark_column;
  std::string key_column;
  std::size_t page_size = 10000;
  std::chrono::milliseconds poll_interval{60000};
  std::optional<std::string> initial_watermark;  // read from this value on (inclusive)
  std::chrono::milliseconds settle{0};           // 0: read rows as soon as they are visible

  // What the source reads, for messages: "table analytics.scores" or "query 'SELECT ...'"
  // (long queries shortened).
  std::string describe_relation() const;

  // Errors: invalid_config with a message starting "field '<name>': ".
  static Result<SqlQueryConfig> from(const Settings& settings);
};

// The `sql_query` source: reads a table or query incrementally by watermark and key.
ConnectorInfo info();

}  // namespace weft::sql_query

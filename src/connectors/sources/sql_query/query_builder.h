#pragma once

// The SQL the `sql_query` source runs, built without I/O so unit tests can check it. Values are
// never put in the text: they are bound to the placeholders this file documents. Identifiers
// (the user's table and column names) are quoted, so any name, however odd, stays a name.

#include <cstddef>
#include <string>
#include <string_view>

#include "connectors/sources/sql_query/config.h"

namespace weft::sql_query {

// `name` as an SQL identifier: in double quotes, embedded double quotes doubled. Both
// PostgreSQL and SQLite read it this way.
std::string quote_identifier(std::string_view name);

// A table as written in the config (`scores`, `analytics.scores`), each dot-separated part
// quoted: "analytics"."scores".
std::string quote_table(std::string_view table);

// What the paging query selects from: the quoted table, or the user's query in parentheses.
std::string relation_sql(const SqlQueryConfig& config);

// A query returning no rows but every column of the relation, to learn the column names (and,
// on PostgreSQL, their types) before reading.
std::string columns_sql(const SqlQueryConfig& config);

// Where a page starts.
enum class Bound {
  kStart,  // the first row with a watermark (rows whose watermark is NULL are never read)
  kFrom,   // rows whose watermark >= parameter 1 (initial_watermark)
  kAfter,  // rows after (parameter 1, parameter 2) in (watermark, key) order
};

struct PageSqlOptions {
  Dialect dialect = Dialect::kSqlite;
  std::string relation;  // relation_sql()
  std::string watermark_column;
  std::string key_column;
  // PostgreSQL: the types the parameters are cast to ("timestamp with time zone", "integer"),
  // so they compare in the columns' own types. Empty: no cast.
  std::string watermark_type;
  std::string key_type;
  Bound bound = Bound::kStart;
  // Adds the settle filter; its parameter comes after the bound's parameters. PostgreSQL: an
  // interval ("5000 milliseconds"), compared against now(); SQLite: a julianday() modifier
  // ("-5.000 seconds"), applied to text watermarks only.
  bool settle = false;
  std::size_t limit = 1;
};

// The page query: rows of the relation after the bound, oldest watermark first, ties in key
// order, at most `limit`. Placeholders are numbered from 1 in this order: the watermark (kFrom,
// kAfter), the key (kAfter), the settle parameter (when `settle`). PostgreSQL uses $n, SQLite ?n.
std::string page_sql(const PageSqlOptions& options);

}  // namespace weft::sql_query

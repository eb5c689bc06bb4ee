#pragma once

#include <memory>

#include "connectors/sources/sql_query/row_reader.h"

namespace weft::sql_query {

// Reads through pgcdc::PgConnection: libpq in non-blocking mode on the caller's executor, so a
// slow query never blocks an io_context thread. Values become JSON as the postgres_cdc source
// writes them (pgcdc/pg_value.h): numeric as exact strings, timestamps as ISO-8601, json and
// jsonb nested.
std::unique_ptr<RowReader> make_postgres_reader(const SqlQueryConfig& config);

}  // namespace weft::sql_query

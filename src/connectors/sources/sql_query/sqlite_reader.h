#pragma once

#include <memory>

#include "connectors/sources/sql_query/row_reader.h"

namespace weft::sql_query {

// Reads an SQLite file through the sqlite3 C API, opened read-only. The calls block the
// source's coroutine (and its io_context thread) while a page is read: acceptable for a local
// file, where a page takes milliseconds; a writer holding the lock makes a read wait at most a
// short busy timeout before it is retried later.
//
// Values: INTEGER and REAL as JSON numbers (a column declared BOOLEAN/BOOL as true/false), TEXT
// as strings (a column declared JSON holding valid JSON nested as it is), BLOB as base64 text,
// NULL as null.
std::unique_ptr<RowReader> make_sqlite_reader(const SqlQueryConfig& config);

}  // namespace weft::sql_query

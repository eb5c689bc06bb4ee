#pragma once

// What the `sql_query` source needs from a database, one implementation per dialect
// (postgres_reader.h, sqlite_reader.h): pages of rows in (watermark, key) order, each already
// turned into the record's JSON value and the cursor that follows it.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/sources/sql_query/config.h"
#include "connectors/sources/sql_query/position.h"
#include "connectors/sources/sql_query/query_builder.h"
#include "weft/record.h"
#include "weft/status.h"

namespace weft::sql_query {

struct Row {
  std::string value;                            // the row as a JSON object, column name -> value
  Cursor cursor;                                // this row's watermark and key
  std::optional<Clock::time_point> event_time;  // the watermark, when it is a timestamp
};

// Used by one coroutine at a time (the source's); not thread-safe.
class RowReader {
 public:
  virtual ~RowReader() = default;

  // Connects unless connected, and checks the relation has the watermark and key columns.
  // Errors: retryable when the database cannot be reached or is busy; permanent when the
  // relation cannot be read as configured (a missing table or column, a query the database
  // rejects), with a message naming the column and the table or query.
  virtual boost::asio::awaitable<Status> open() = 0;

  // The next rows after `bound` (`from` holds the watermark for kFrom, the watermark and key for
  // kAfter), at most `limit`, oldest first. Connects first when not connected (after close() or
  // a failed read). Errors as open(); after any error the connection is dropped, so the next
  // call starts on a fresh one.
  virtual boost::asio::awaitable<Result<std::vector<Row>>> read_page(Bound bound,
                                                                     const Cursor& from,
                                                                     std::size_t limit) = 0;

  // initial_watermark as a value to bind: PostgreSQL casts text; SQLite compares by storage
  // class, so text that is a whole number or a real number is bound as one.
  virtual CellValue initial_value(const std::string& text) const = 0;

  // For the log: "postgres database analytics", "sqlite file /var/lib/app.db". Never a secret.
  virtual std::string describe() const = 0;

  virtual void close() = 0;
};

std::unique_ptr<RowReader> make_reader(const SqlQueryConfig& config);

// Helpers both readers share.

// Finds the watermark and key columns among `columns` (the relation's result columns, exact
// names). A permanent error naming the missing column, the table or query, the columns there
// are and the closest one, when one is missing.
struct KeyColumns {
  int watermark = -1;
  int key = -1;
};
Result<KeyColumns> find_key_columns(const SqlQueryConfig& config,
                                    const std::vector<std::string>& columns);

// The permanent error for a row whose key is NULL (or otherwise unusable as a key).
Error bad_key(const SqlQueryConfig& config, const std::string& why);

// A date or date-time as a database prints it ("2024-05-01", "2024-05-01 10:00:00.5+00",
// "2024-05-01T10:00:00Z"; no zone means UTC) as an instant; nullopt when it is not one.
std::optional<Clock::time_point> parse_time(std::string_view text);

}  // namespace weft::sql_query

#pragma once

// One connection to the warehouse, as the sink uses it: statements, a few parameterised
// queries, and the bulk load of a staging table. PostgreSQL loads through COPY; SQLite through
// one prepared INSERT per row inside the load's transaction (the fastest way into SQLite).
//
// Not thread-safe: the sink calls it from its one strand.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "warehouse/dialect.h"
#include "weft/status.h"

namespace weft::warehouse {

using Cell = std::optional<std::string>;  // nullopt: SQL NULL
using Row = std::vector<Cell>;

// Rows for a staging table, row-major: cells.size() == rows * columns.size().
struct StagedRows {
  std::vector<std::string> columns;
  std::vector<Cell> cells;
  // The same rows as PostgreSQL's COPY reads them (postgres_copy_csv()), when they were encoded
  // ahead of the load; empty otherwise.
  std::string copy_text;
  std::size_t rows() const { return columns.empty() ? 0 : cells.size() / columns.size(); }
};

class WarehouseConnection {
 public:
  virtual ~WarehouseConnection() = default;

  virtual const Dialect& dialect() const = 0;

  // Runs one statement with bound parameters; returns the rows it changed.
  virtual boost::asio::awaitable<Result<std::int64_t>> execute(const std::string& sql,
                                                               const Row& params = {}) = 0;
  // Runs a query; returns its rows as text.
  virtual boost::asio::awaitable<Result<std::vector<Row>>> select(const std::string& sql,
                                                                  const Row& params = {}) = 0;
  // Bulk-loads `rows` into the (already created) staging table. Returns the bytes sent.
  virtual boost::asio::awaitable<Result<std::size_t>> load(const std::string& staging,
                                              const StagedRows& rows) = 0;
  // The target's columns as they are now, or nullopt when the table does not exist.
  virtual boost::asio::awaitable<Result<std::optional<std::vector<Column>>>> describe(
      const LoadPlan& plan) = 0;

  // Errors worth retrying on a new connection: the old one may be broken.
  virtual bool broken() const = 0;
};

// `rows` in COPY ... WITH (FORMAT csv): a value is quoted only when it must be (an empty string,
// which unquoted would be NULL, and values holding a comma, a quote, a line break or a
// backslash, which keeps `\.` from ending the data).
std::string postgres_copy_csv(const StagedRows& rows);

// PostgreSQL through libpq, driven by the Asio loop. `dsn` is a secret: never in messages.
boost::asio::awaitable<Result<std::unique_ptr<WarehouseConnection>>> connect_postgres(
    boost::asio::any_io_executor executor, std::string dsn, bool use_merge);

// A SQLite database file, created when missing. Calls block the strand for as long as SQLite
// takes: a local file, where an extra thread would cost more than it saves.
Result<std::unique_ptr<WarehouseConnection>> open_sqlite(const std::string& path);

}  // namespace weft::warehouse

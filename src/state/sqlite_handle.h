#pragma once

// RAII ownership of SQLite C handles and the translation of SQLite result codes into weft
// errors. Private to src/state.

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::state {

// Owns a connection. Closes with sqlite3_close_v2, which defers the close until every statement
// of the connection is finalized, so destruction order against Statements cannot fail.
struct DatabaseCloser {
  void operator()(sqlite3* db) const noexcept;
};
using Database = std::unique_ptr<sqlite3, DatabaseCloser>;

// Owns a prepared statement.
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// One use of a (cached) prepared statement: on scope exit the statement is reset and its
// bindings cleared, so it holds no read transaction open between uses (an open read transaction
// would stop WAL checkpoints) and keeps no pointer to the caller's bound strings.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse();
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

// Prepares one SQL statement. `flags` are SQLITE_PREPARE_* (e.g. PERSISTENT for cached ones).
// On failure the error's message is "<operation>: <reason>".
Result<Statement> prepare(sqlite3* db, std::string_view sql, unsigned flags,
                          std::string_view operation);

// Runs SQL that returns no rows we need (it may hold several statements).
// On failure the error's message is "<operation>: <reason>".
Status exec(sqlite3* db, const char* sql, std::string_view operation);

// Reads a column as bytes; an SQL NULL reads as the empty string.
std::string column_string(sqlite3_stmt* stmt, int column);

// SQLite's message for the connection's last failure (`rc`), plus the operating system's
// reason when the failure came from a system call: "disk I/O error (No space left on device)".
// `db` may be null (the connection could not be allocated).
std::string describe(sqlite3* db, int rc);

// SQLITE_BUSY and SQLITE_LOCKED (another connection holds a lock) are retryable; everything
// else is permanent: retrying the same write against a full disk or a corrupt file fails again.
ErrorKind classify(int rc);

// An Error of kind classify(rc) reading "<operation>: <describe(db, rc)>".
Error make_error(sqlite3* db, int rc, std::string_view operation);

}  // namespace weft::state

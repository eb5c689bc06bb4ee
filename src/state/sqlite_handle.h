#pragma once

// RAII ownership of SQLite C handles and the translation of SQLite result codes into weft
// errors. Private to src/state.

#include <sqlite3.h>

#include <cstdint>
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

// Binds `text` (any bytes) without copying: the caller keeps it alive until the statement is
// reset or rebound (a StatementUse ending does both). Takes a std::string because a null
// string_view::data() would bind SQL NULL.
inline int bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  return sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

inline int bind_value(sqlite3_stmt* stmt, int index, const std::string& text) {
  return bind_text(stmt, index, text);
}
inline int bind_value(sqlite3_stmt* stmt, int index, std::int64_t number) {
  return sqlite3_bind_int64(stmt, index, number);
}

// Binds `values` to ?1, ?2, ... in order (strings as bind_text does); returns SQLITE_OK or the
// first failure.
template <typename... Values>
int bind_all(sqlite3_stmt* stmt, const Values&... values) {
  int index = 0;
  int rc = SQLITE_OK;
  ((rc = rc == SQLITE_OK ? bind_value(stmt, ++index, values) : rc), ...);
  return rc;
}

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

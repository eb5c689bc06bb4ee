#include "state/sqlite_handle.h"

#include <system_error>

namespace weft::state {

void DatabaseCloser::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

void StatementFinalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

StatementUse::~StatementUse() {
  // Both return the last step's error again, which the caller has already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Result<Statement> prepare(sqlite3* db, std::string_view sql, unsigned flags,
                          std::string_view operation) {
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &raw, nullptr);
  Statement stmt(raw);
  if (rc != SQLITE_OK) return make_error(db, rc, operation);
  return stmt;
}

Status exec(sqlite3* db, const char* sql, std::string_view operation) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return make_error(db, rc, operation);
  return Status::ok_status();
}

std::string column_string(sqlite3_stmt* stmt, int column) {
  // column_text before column_bytes: the byte count is of the text conversion.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

namespace {

// Which system call an extended I/O error code stands for; SQLite's message for all of them is
// just "disk I/O error".
const char* io_step(int rc) {
  switch (rc) {
    case SQLITE_IOERR_READ:
    case SQLITE_IOERR_SHORT_READ:
      return "read";
    case SQLITE_IOERR_WRITE:
      return "write";
    case SQLITE_IOERR_FSYNC:
    case SQLITE_IOERR_DIR_FSYNC:
      return "fsync";
    case SQLITE_IOERR_TRUNCATE:
      return "truncate";
    case SQLITE_IOERR_FSTAT:
      return "fstat";
    case SQLITE_IOERR_LOCK:
    case SQLITE_IOERR_RDLOCK:
    case SQLITE_IOERR_UNLOCK:
      return "lock";
    case SQLITE_IOERR_SHMOPEN:
    case SQLITE_IOERR_SHMSIZE:
    case SQLITE_IOERR_SHMMAP:
      return "WAL index (-shm)";
    default:
      return nullptr;
  }
}

}  // namespace

std::string describe(sqlite3* db, int rc) {
  if (db == nullptr) return sqlite3_errstr(rc);
  std::string message = sqlite3_errmsg(db);
  std::string detail;
  if (const char* step = io_step(rc)) detail = step;
  // SQLite records errno only for these two codes, and not on every path (a failed WAL write at
  // commit leaves it 0); for any other code the saved value would be stale.
  const int primary = rc & 0xff;
  if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
    if (const int os_errno = sqlite3_system_errno(db); os_errno != 0) {
      detail += (detail.empty() ? "" : ": ") + std::system_category().message(os_errno);
    }
  }
  if (!detail.empty()) message += " (" + detail + ")";
  return message;
}

ErrorKind classify(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kRetryable;
    default:
      return ErrorKind::kPermanent;
  }
}

Error make_error(sqlite3* db, int rc, std::string_view operation) {
  return {classify(rc), std::string(operation) + ": " + describe(db, rc)};
}

}  // namespace weft::state

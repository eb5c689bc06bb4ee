#pragma once

// The checkpoint a daemon saved for `pipeline`, read straight from its state store (SQLite), so
// a test can kill the daemon at a known point. "" when there is none (yet).

#include <sqlite3.h>

#include <string>

namespace weft::test {

inline std::string saved_checkpoint(const std::string& db_path, const std::string& pipeline) {
  sqlite3* db = nullptr;
  std::string position;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT position FROM checkpoints WHERE pipeline = ?1", -1, &stmt,
                       nullptr);
    sqlite3_bind_text(stmt, 1, pipeline.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      position = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return position;
}

}  // namespace weft::test

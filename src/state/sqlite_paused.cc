// Pipelines an operator paused, in the SQLite state store (migration 9). Pausing is rare, so
// the statements are prepared per call rather than kept.

#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

constexpr std::string_view kFindSql = "SELECT paused_at FROM paused_pipelines WHERE pipeline = ?1";
constexpr std::string_view kPauseSql =
    "INSERT INTO paused_pipelines (pipeline, paused_at) VALUES (?1, ?2) "
    "ON CONFLICT (pipeline) DO NOTHING";
constexpr std::string_view kResumeSql = "DELETE FROM paused_pipelines WHERE pipeline = ?1";

}  // namespace

Result<std::optional<Clock::time_point>> SqliteStateStore::paused_since(
    const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  auto statement = prepare(db_.get(), kFindSql, 0, "prepare pause lookup");
  if (!statement) return statement.error();
  StatementUse use(statement->get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return std::optional<Clock::time_point>();
  if (rc != SQLITE_ROW) return failure(rc, for_pipeline("load pause", pipeline));
  return std::optional<Clock::time_point>(from_unix_ms(sqlite3_column_int64(use.get(), 0)));
}

Status SqliteStateStore::set_paused(const std::string& pipeline, bool paused) {
  const std::int64_t now = to_unix_ms(Clock::now());
  std::lock_guard lock(mutex_);
  auto statement = prepare(db_.get(), paused ? kPauseSql : kResumeSql, 0, "prepare pause update");
  if (!statement) return statement.error();
  StatementUse use(statement->get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK && paused) rc = sqlite3_bind_int64(use.get(), 2, now);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) {
    return failure(rc, for_pipeline(paused ? "save pause" : "save resume", pipeline));
  }
  return Status::ok_status();
}

}  // namespace weft::state

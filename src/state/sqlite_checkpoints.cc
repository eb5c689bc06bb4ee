// Checkpoints in the SQLite state store: one row per pipeline.

#include <utility>

#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

constexpr std::string_view kLoadSql =
    "SELECT position, updated_at FROM checkpoints WHERE pipeline = ?1";
constexpr std::string_view kSaveSql =
    "INSERT INTO checkpoints (pipeline, position, updated_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (pipeline) DO UPDATE SET position = excluded.position, "
    "updated_at = excluded.updated_at";
constexpr std::string_view kListSql =
    "SELECT pipeline, position, updated_at FROM checkpoints ORDER BY pipeline";
constexpr std::string_view kDeleteSql = "DELETE FROM checkpoints WHERE pipeline = ?1";

}  // namespace

Result<CheckpointStatements> CheckpointStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto load = state::prepare(db, kLoadSql, kFlags, "prepare checkpoint load");
  if (!load) return load.error();
  auto save = state::prepare(db, kSaveSql, kFlags, "prepare checkpoint save");
  if (!save) return save.error();
  auto list = state::prepare(db, kListSql, kFlags, "prepare checkpoint list");
  if (!list) return list.error();
  auto remove = state::prepare(db, kDeleteSql, kFlags, "prepare checkpoint delete");
  if (!remove) return remove.error();
  return CheckpointStatements{std::move(*load), std::move(*save), std::move(*list),
                              std::move(*remove)};
}

Result<std::optional<Checkpoint>> SqliteStateStore::load_checkpoint(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  StatementUse use(checkpoints_.load.get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return std::optional<Checkpoint>();
  if (rc != SQLITE_ROW) return failure(rc, for_pipeline("load checkpoint", pipeline));
  return std::optional<Checkpoint>(Checkpoint{pipeline, column_string(use.get(), 0),
                                              from_unix_ms(sqlite3_column_int64(use.get(), 1))});
}

Status SqliteStateStore::save_checkpoint(const std::string& pipeline, const Position& position) {
  const std::int64_t now = to_unix_ms(Clock::now());
  std::lock_guard lock(mutex_);
  StatementUse use(checkpoints_.save.get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = bind_text(use.get(), 2, position);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 3, now);
  // In autocommit mode the step is its own transaction: with WAL and synchronous=FULL, DONE
  // means the commit record is fsynced to the WAL.
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return failure(rc, for_pipeline("save checkpoint", pipeline));
  return Status::ok_status();
}

Result<std::vector<Checkpoint>> SqliteStateStore::list_checkpoints() {
  std::lock_guard lock(mutex_);
  StatementUse use(checkpoints_.list.get());
  std::vector<Checkpoint> checkpoints;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    checkpoints.push_back(Checkpoint{column_string(use.get(), 0), column_string(use.get(), 1),
                                     from_unix_ms(sqlite3_column_int64(use.get(), 2))});
  }
  if (rc != SQLITE_DONE) return failure(rc, "list checkpoints");
  return checkpoints;
}

Status SqliteStateStore::delete_checkpoint(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  StatementUse use(checkpoints_.remove.get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return failure(rc, for_pipeline("delete checkpoint", pipeline));
  return Status::ok_status();
}

}  // namespace weft::state

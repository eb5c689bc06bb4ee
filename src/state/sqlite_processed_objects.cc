// The files source's ledger of processed objects in the SQLite state store: one row per
// pipeline and object key, holding the version (ETag) that was read to the end.

#include <utility>

#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

constexpr std::string_view kFindSql =
    "SELECT version FROM processed_objects WHERE pipeline = ?1 AND key = ?2";
constexpr std::string_view kMarkSql =
    "INSERT INTO processed_objects (pipeline, key, version, processed_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (pipeline, key) DO UPDATE SET version = excluded.version, "
    "processed_at = excluded.processed_at";
// substr and length both count characters, so this is a prefix test for any key.
constexpr std::string_view kForgetSql =
    "DELETE FROM processed_objects WHERE pipeline = ?1 AND substr(key, 1, length(?2)) = ?2";

}  // namespace

Result<ProcessedObjectStatements> ProcessedObjectStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto find = state::prepare(db, kFindSql, kFlags, "prepare processed object lookup");
  if (!find) return find.error();
  auto mark = state::prepare(db, kMarkSql, kFlags, "prepare processed object mark");
  if (!mark) return mark.error();
  auto forget = state::prepare(db, kForgetSql, kFlags, "prepare processed object forget");
  if (!forget) return forget.error();
  return ProcessedObjectStatements{std::move(*find), std::move(*mark), std::move(*forget)};
}

Result<std::vector<std::optional<std::string>>> SqliteStateStore::processed_versions(
    const std::string& pipeline, const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> versions;
  versions.reserve(keys.size());
  std::lock_guard lock(mutex_);
  // One read transaction for the whole page of keys: a consistent view, one lock.
  if (int rc = begin_read(); rc != SQLITE_DONE) {
    return failure(rc, for_pipeline("look up processed objects", pipeline));
  }
  for (const std::string& key : keys) {
    StatementUse use(processed_.find.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = bind_text(use.get(), 2, key);
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc == SQLITE_ROW) {
      versions.emplace_back(column_string(use.get(), 0));
    } else if (rc == SQLITE_DONE) {
      versions.emplace_back();
    } else {
      return abort_transaction(rc, for_pipeline("look up processed objects", pipeline));
    }
  }
  if (Status s = commit(for_pipeline("look up processed objects", pipeline)); !s) return s.error();
  return versions;
}

Status SqliteStateStore::mark_processed(const std::string& pipeline, const std::string& key,
                                        const std::string& version, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  StatementUse use(processed_.mark.get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = bind_text(use.get(), 2, key);
  if (rc == SQLITE_OK) rc = bind_text(use.get(), 3, version);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 4, to_unix_ms(now));
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());  // autocommit: durable when DONE
  if (rc != SQLITE_DONE) return failure(rc, for_pipeline("mark object processed", pipeline));
  return Status::ok_status();
}

Result<std::size_t> SqliteStateStore::forget_processed(const std::string& pipeline,
                                                       const std::string& key_prefix) {
  std::lock_guard lock(mutex_);
  StatementUse use(processed_.forget.get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = bind_text(use.get(), 2, key_prefix);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return failure(rc, for_pipeline("forget processed objects", pipeline));
  return static_cast<std::size_t>(sqlite3_changes(db_.get()));
}

}  // namespace weft::state

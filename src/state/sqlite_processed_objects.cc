// The files source's ledger of processed objects in the SQLite state store: one row per
// pipeline and object key, holding the version (ETag) that was read to the end, pending until a
// checkpoint covers the object's ordinal, then done.

#include <algorithm>
#include <cstdint>
#include <utility>

#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

constexpr std::string_view kFindSql =
    "SELECT version FROM processed_objects WHERE pipeline = ?1 AND key = ?2 AND done = 1";
constexpr std::string_view kRecordSql =
    "INSERT INTO processed_objects (pipeline, key, version, ordinal, done, processed_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (pipeline, key) DO UPDATE SET version = excluded.version, "
    "ordinal = excluded.ordinal, done = excluded.done, processed_at = excluded.processed_at";
constexpr std::string_view kPendingThroughSql =
    "SELECT key, version FROM processed_objects "
    "WHERE pipeline = ?1 AND done = 0 AND ordinal <= ?2 ORDER BY ordinal";
constexpr std::string_view kConfirmThroughSql =
    "UPDATE processed_objects SET done = 1 WHERE pipeline = ?1 AND done = 0 AND ordinal <= ?2";
constexpr std::string_view kDiscardAfterSql =
    "DELETE FROM processed_objects WHERE pipeline = ?1 AND done = 0 AND ordinal > ?2";
// substr and length both count characters, so this is a prefix test for any key.
constexpr std::string_view kForgetSql =
    "DELETE FROM processed_objects WHERE pipeline = ?1 AND substr(key, 1, length(?2)) = ?2";

// Ordinals are stored as SQLite integers (signed 64-bit); callers count from 1.
sqlite3_int64 as_int64(std::uint64_t ordinal) {
  return static_cast<sqlite3_int64>(std::min<std::uint64_t>(ordinal, INT64_MAX));
}

}  // namespace

Result<ProcessedObjectStatements> ProcessedObjectStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto find = state::prepare(db, kFindSql, kFlags, "prepare processed object lookup");
  if (!find) return find.error();
  auto record = state::prepare(db, kRecordSql, kFlags, "prepare processed object record");
  if (!record) return record.error();
  auto pending = state::prepare(db, kPendingThroughSql, kFlags, "prepare pending objects");
  if (!pending) return pending.error();
  auto confirm = state::prepare(db, kConfirmThroughSql, kFlags, "prepare object confirm");
  if (!confirm) return confirm.error();
  auto discard = state::prepare(db, kDiscardAfterSql, kFlags, "prepare object discard");
  if (!discard) return discard.error();
  auto forget = state::prepare(db, kForgetSql, kFlags, "prepare processed object forget");
  if (!forget) return forget.error();
  return ProcessedObjectStatements{std::move(*find),    std::move(*record),  std::move(*pending),
                                   std::move(*confirm), std::move(*discard), std::move(*forget)};
}

Result<std::vector<std::optional<std::string>>> SqliteStateStore::processed_versions(
    const std::string& pipeline, const std::vector<std::string>& keys) {
  const std::string operation = for_pipeline("look up processed objects", pipeline);
  std::vector<std::optional<std::string>> versions;
  versions.reserve(keys.size());
  std::lock_guard lock(mutex_);
  // One read transaction for the whole page of keys: a consistent view, one lock.
  if (int rc = begin_read(); rc != SQLITE_DONE) return failure(rc, operation);
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
      return abort_transaction(rc, operation);
    }
  }
  if (Status s = commit(operation); !s) return s.error();
  return versions;
}

Status SqliteStateStore::record_processed(const std::string& pipeline,
                                          const std::vector<ObjectEntry>& entries,
                                          Clock::time_point now) {
  if (entries.empty()) return Status::ok_status();
  const std::string operation = for_pipeline("record processed objects", pipeline);
  std::lock_guard lock(mutex_);
  // One transaction, one fsync, however many objects a batch finished.
  if (int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  for (const ObjectEntry& entry : entries) {
    StatementUse use(processed_.record.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = bind_text(use.get(), 2, entry.key);
    if (rc == SQLITE_OK) rc = bind_text(use.get(), 3, entry.version);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 4, as_int64(entry.ordinal));
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(use.get(), 5, entry.done ? 1 : 0);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 6, to_unix_ms(now));
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) return abort_transaction(rc, operation);
  }
  return commit(operation);
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStateStore::confirm_processed(
    const std::string& pipeline, std::uint64_t through) {
  const std::string operation = for_pipeline("confirm processed objects", pipeline);
  std::vector<std::pair<std::string, std::string>> confirmed;
  std::lock_guard lock(mutex_);
  if (int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  {
    StatementUse use(processed_.pending_through.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 2, as_int64(through));
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      rc = sqlite3_step(use.get());
      if (rc == SQLITE_ROW) {
        confirmed.emplace_back(column_string(use.get(), 0), column_string(use.get(), 1));
      }
    }
    if (rc != SQLITE_DONE) return abort_transaction(rc, operation);
  }
  if (!confirmed.empty()) {
    StatementUse use(processed_.confirm_through.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 2, as_int64(through));
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) return abort_transaction(rc, operation);
  }
  if (Status s = commit(operation); !s) return s.error();
  return confirmed;
}

Result<std::size_t> SqliteStateStore::discard_pending(const std::string& pipeline,
                                                      std::uint64_t after) {
  std::lock_guard lock(mutex_);
  StatementUse use(processed_.discard_after.get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 2, as_int64(after));
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return failure(rc, for_pipeline("discard pending objects", pipeline));
  return static_cast<std::size_t>(sqlite3_changes(db_.get()));
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

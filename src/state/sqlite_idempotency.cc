// Idempotency keys in the SQLite state store: (pipeline, key) -> expiry, checked and recorded
// in batches. One cached statement stepped once per key inside one transaction per batch:
// bench/idempotency_bench.cc measures it.

#include <limits>
#include <utility>

#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

constexpr std::string_view kFindSql =
    "SELECT 1 FROM idempotency_keys WHERE pipeline = ?1 AND key = ?2 AND expires_at > ?3";
constexpr std::string_view kRememberSql =
    "INSERT INTO idempotency_keys (pipeline, key, expires_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (pipeline, key) DO UPDATE SET expires_at = excluded.expires_at";
// Walking the distinct pipelines: each step is one seek in the primary key.
constexpr std::string_view kFirstPipelineSql = "SELECT min(pipeline) FROM idempotency_keys";
constexpr std::string_view kNextPipelineSql =
    "SELECT min(pipeline) FROM idempotency_keys WHERE pipeline > ?1";
// A range of the (pipeline, expires_at) index, then one primary-key seek per victim.
constexpr std::string_view kPurgeExpiredSql =
    "DELETE FROM idempotency_keys WHERE pipeline = ?1 AND key IN "
    "(SELECT key FROM idempotency_keys WHERE pipeline = ?1 AND expires_at <= ?2 LIMIT ?3)";
constexpr std::string_view kCountSql = "SELECT count(*) FROM idempotency_keys WHERE pipeline = ?1";
constexpr std::string_view kEvictSql =
    "DELETE FROM idempotency_keys WHERE pipeline = ?1 AND key IN "
    "(SELECT key FROM idempotency_keys WHERE pipeline = ?1 ORDER BY expires_at LIMIT ?2)";

std::int64_t to_sql_count(std::size_t n) {
  constexpr std::size_t kMax = std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(n < kMax ? n : kMax);
}

// The smallest pipeline name after `after` (the first one when null) that holds keys, into
// `next`; SQLITE_DONE when there is none.
int next_pipeline(IdempotencyStatements& statements, const std::string* after, std::string& next) {
  sqlite3_stmt* stmt = after ? statements.next_pipeline.get() : statements.first_pipeline.get();
  StatementUse use(stmt);
  int rc = after ? bind_text(stmt, 1, *after) : SQLITE_OK;
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) return rc;
  if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) return SQLITE_DONE;  // min() of no rows
  next = column_string(stmt, 0);
  return SQLITE_ROW;
}

// Deletes keys of every pipeline expired at `now_ms`, at most `limit` (0: no limit), adding
// to `removed`. Inside the caller's write transaction; returns SQLITE_OK or the failure.
int delete_expired(sqlite3* db, IdempotencyStatements& statements, std::int64_t now_ms,
                   std::size_t limit, std::size_t& removed) {
  std::string pipeline;
  const std::string* after = nullptr;
  while (limit == 0 || removed < limit) {
    const int found = next_pipeline(statements, after, pipeline);
    if (found == SQLITE_DONE) break;
    if (found != SQLITE_ROW) return found;
    after = &pipeline;
    StatementUse use(statements.purge_expired.get());
    const std::int64_t budget = limit == 0 ? -1 : to_sql_count(limit - removed);  // -1: all
    int rc = bind_all(use.get(), pipeline, now_ms, budget);
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) return rc;
    removed += static_cast<std::size_t>(sqlite3_changes64(db));
  }
  return SQLITE_OK;
}

// Deletes the pipeline's earliest-expiring keys until at most `max_keys` remain, adding to
// `removed`. Inside the caller's write transaction; returns SQLITE_OK or the failure.
int evict_beyond(sqlite3* db, IdempotencyStatements& statements, const std::string& pipeline,
                 std::size_t max_keys, std::size_t& removed) {
  std::int64_t count = 0;
  {
    StatementUse use(statements.count.get());
    int rc = bind_all(use.get(), pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_ROW) return rc;
    count = sqlite3_column_int64(use.get(), 0);
  }
  if (count <= to_sql_count(max_keys)) return SQLITE_OK;
  StatementUse use(statements.evict.get());
  int rc = bind_all(use.get(), pipeline, count - to_sql_count(max_keys));
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return rc;
  removed += static_cast<std::size_t>(sqlite3_changes64(db));
  return SQLITE_OK;
}

}  // namespace

Result<IdempotencyStatements> IdempotencyStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto find = state::prepare(db, kFindSql, kFlags, "prepare idempotency find");
  if (!find) return find.error();
  auto remember = state::prepare(db, kRememberSql, kFlags, "prepare idempotency insert");
  if (!remember) return remember.error();
  auto first = state::prepare(db, kFirstPipelineSql, kFlags, "prepare idempotency pipelines");
  if (!first) return first.error();
  auto next = state::prepare(db, kNextPipelineSql, kFlags, "prepare idempotency pipelines");
  if (!next) return next.error();
  auto purge = state::prepare(db, kPurgeExpiredSql, kFlags, "prepare idempotency purge");
  if (!purge) return purge.error();
  auto count = state::prepare(db, kCountSql, kFlags, "prepare idempotency count");
  if (!count) return count.error();
  auto evict = state::prepare(db, kEvictSql, kFlags, "prepare idempotency eviction");
  if (!evict) return evict.error();
  return IdempotencyStatements{std::move(*find), std::move(*remember), std::move(*first),
                               std::move(*next), std::move(*purge),    std::move(*count),
                               std::move(*evict)};
}

Result<std::vector<bool>> SqliteStateStore::find_keys(const std::string& pipeline,
                                                      const std::vector<std::string>& keys,
                                                      Clock::time_point now) {
  std::vector<bool> found(keys.size(), false);
  if (keys.empty()) return found;
  const std::string operation = for_pipeline("find idempotency keys", pipeline);
  std::lock_guard lock(mutex_);
  // One read transaction for the batch: one snapshot, and the WAL read lock taken once.
  if (const int rc = begin_read(); rc != SQLITE_DONE) return failure(rc, operation);
  {
    StatementUse use(idempotency_.find.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 3, to_unix_ms(now));
    for (std::size_t i = 0; rc == SQLITE_OK && i < keys.size(); ++i) {
      rc = bind_text(use.get(), 2, keys[i]);
      if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
      if (rc == SQLITE_ROW) found[i] = true;
      // reset keeps the other bindings for the next key.
      if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = sqlite3_reset(use.get());
    }
    if (rc != SQLITE_OK) return abort(rc, operation);
  }
  if (Status committed = commit(operation); !committed) return committed.error();
  return found;
}

Status SqliteStateStore::remember_keys(const std::string& pipeline,
                                       const std::vector<std::string>& keys,
                                       Clock::time_point expires_at) {
  if (keys.empty()) return Status::ok_status();
  const std::string operation = for_pipeline("remember idempotency keys", pipeline);
  std::lock_guard lock(mutex_);
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  {
    StatementUse use(idempotency_.remember.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 3, to_unix_ms(expires_at));
    for (std::size_t i = 0; rc == SQLITE_OK && i < keys.size(); ++i) {
      rc = bind_text(use.get(), 2, keys[i]);
      if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
      if (rc == SQLITE_DONE) rc = sqlite3_reset(use.get());
    }
    if (rc != SQLITE_OK) return abort(rc, operation);
  }
  return commit(operation);
}

Result<std::size_t> SqliteStateStore::purge_keys(const std::string& pipeline, Clock::time_point now,
                                                 std::size_t max_keys, std::size_t limit) {
  const std::string operation = for_pipeline("purge idempotency keys", pipeline);
  std::size_t removed = 0;
  std::lock_guard lock(mutex_);
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  int rc = delete_expired(db_.get(), idempotency_, to_unix_ms(now), limit, removed);
  if (rc == SQLITE_OK && max_keys > 0) {
    rc = evict_beyond(db_.get(), idempotency_, pipeline, max_keys, removed);
  }
  if (rc != SQLITE_OK) return abort(rc, operation);
  if (Status committed = commit(operation); !committed) return committed.error();
  return removed;
}

}  // namespace weft::state

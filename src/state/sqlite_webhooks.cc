// The webhook source's durable buffer in the SQLite state store (migration 7): accepted requests
// in webhook_buffer until acked, and the ids of accepted events in webhook_event_ids until they
// expire, so a provider's retry of an event is recognised after the event itself was delivered.

#include <limits>
#include <utility>

#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

// Claims (pipeline, event_id) for `expires_at` unless it is claimed and unexpired at `now`:
// exactly one row changes when the event is new (or its old id had expired), none when it is a
// duplicate.
constexpr std::string_view kRememberIdSql =
    "INSERT INTO webhook_event_ids (pipeline, event_id, expires_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (pipeline, event_id) DO UPDATE SET expires_at = excluded.expires_at "
    "WHERE webhook_event_ids.expires_at <= ?4";
constexpr std::string_view kAppendSql =
    "INSERT INTO webhook_buffer (pipeline, received_at, event_id, event_time, headers, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view kReadSql =
    "SELECT seq, received_at, event_id, event_time, headers, body FROM webhook_buffer "
    "WHERE pipeline = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
constexpr std::string_view kRemoveThroughSql =
    "DELETE FROM webhook_buffer WHERE pipeline = ?1 AND seq <= ?2";
constexpr std::string_view kTrimSql =
    "DELETE FROM webhook_buffer WHERE seq IN (SELECT seq FROM webhook_buffer "
    "WHERE pipeline = ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3)";
constexpr std::string_view kDepthSql = "SELECT count(*) FROM webhook_buffer WHERE pipeline = ?1";
constexpr std::string_view kPurgeIdsSql =
    "DELETE FROM webhook_event_ids WHERE (pipeline, event_id) IN (SELECT pipeline, event_id "
    "FROM webhook_event_ids WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";

std::int64_t to_sql_limit(std::size_t n) {
  constexpr std::size_t kMax = std::numeric_limits<std::int64_t>::max();
  return n == 0 || n > kMax ? std::numeric_limits<std::int64_t>::max()
                            : static_cast<std::int64_t>(n);
}

}  // namespace

Result<WebhookStatements> WebhookStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto remember = state::prepare(db, kRememberIdSql, kFlags, "prepare webhook id claim");
  if (!remember) return remember.error();
  auto append = state::prepare(db, kAppendSql, kFlags, "prepare webhook append");
  if (!append) return append.error();
  auto read = state::prepare(db, kReadSql, kFlags, "prepare webhook read");
  if (!read) return read.error();
  auto remove = state::prepare(db, kRemoveThroughSql, kFlags, "prepare webhook remove");
  if (!remove) return remove.error();
  auto trim = state::prepare(db, kTrimSql, kFlags, "prepare webhook trim");
  if (!trim) return trim.error();
  auto depth = state::prepare(db, kDepthSql, kFlags, "prepare webhook depth");
  if (!depth) return depth.error();
  auto purge = state::prepare(db, kPurgeIdsSql, 0, "prepare webhook id purge");
  if (!purge) return purge.error();
  return WebhookStatements{std::move(*remember), std::move(*append), std::move(*read),
                           std::move(*remove),   std::move(*trim),   std::move(*depth),
                           std::move(*purge)};
}

Result<std::vector<bool>> SqliteStateStore::webhook_append(std::vector<WebhookEvent>& events,
                                                           std::vector<WebhookTrim>& trims,
                                                           Clock::time_point now) {
  std::vector<bool> appended(events.size(), false);
  if (events.empty() && trims.empty()) return appended;
  const std::int64_t now_ms = to_unix_ms(now);
  std::vector<std::int64_t> seqs(events.size(), 0);
  std::lock_guard lock(mutex_);
  const std::string operation = "append webhook events";
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const WebhookEvent& event = events[i];
    if (!event.event_id.empty()) {
      StatementUse use(webhooks_.remember_id.get());
      int rc = bind_all(use.get(), event.pipeline, event.event_id,
                        to_unix_ms(event.id_expires_at), now_ms);
      if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
      if (rc != SQLITE_DONE) {
        return abort_transaction(rc, for_pipeline("remember webhook event id", event.pipeline));
      }
      if (sqlite3_changes(db_.get()) == 0) continue;  // seen before: a duplicate delivery
    }
    StatementUse use(webhooks_.append.get());
    int rc = bind_all(use.get(), event.pipeline, to_unix_ms(event.received_at), event.event_id,
                      to_unix_ms(event.event_time), event.headers);
    if (rc == SQLITE_OK) {
      rc = sqlite3_bind_blob64(use.get(), 6, event.body.data(), event.body.size(), SQLITE_STATIC);
    }
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) {
      return abort_transaction(rc, for_pipeline("append webhook event", event.pipeline));
    }
    seqs[i] = sqlite3_last_insert_rowid(db_.get());
    appended[i] = true;
  }
  std::vector<std::size_t> removed(trims.size(), 0);
  for (std::size_t i = 0; i < trims.size(); ++i) {
    StatementUse use(webhooks_.trim.get());
    int rc = bind_all(use.get(), trims[i].pipeline, trims[i].through_seq,
                      to_sql_limit(trims[i].limit));
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) {
      return abort_transaction(rc, for_pipeline("remove acked webhook events", trims[i].pipeline));
    }
    removed[i] = static_cast<std::size_t>(sqlite3_changes64(db_.get()));
  }
  if (auto committed = commit(operation); !committed) return committed.error();
  // Only a committed append has a seq: the caller must not see one that a rollback undid.
  for (std::size_t i = 0; i < events.size(); ++i) events[i].seq = seqs[i];
  for (std::size_t i = 0; i < trims.size(); ++i) trims[i].removed = removed[i];
  return appended;
}

Status SqliteStateStore::open_reader(Database reader) {
  auto read = state::prepare(reader.get(), kReadSql, SQLITE_PREPARE_PERSISTENT,
                             "prepare webhook read");
  if (!read) return located(read.error());
  std::lock_guard lock(reader_mutex_);
  reader_webhook_read_ = std::move(*read);
  reader_db_ = std::move(reader);
  return Status::ok_status();
}

Result<std::vector<WebhookEvent>> SqliteStateStore::webhook_read(const std::string& pipeline,
                                                                 std::int64_t after_seq,
                                                                 std::size_t limit) {
  std::vector<WebhookEvent> events;
  const bool own_reader = reader_db_ != nullptr;  // set once, before the store is shared
  std::unique_lock lock(own_reader ? reader_mutex_ : mutex_);
  StatementUse use(own_reader ? reader_webhook_read_.get() : webhooks_.read.get());
  int rc = bind_all(use.get(), pipeline, after_seq, to_sql_limit(limit));
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(use.get());
    if (rc != SQLITE_ROW) break;
    WebhookEvent event;
    event.seq = sqlite3_column_int64(use.get(), 0);
    event.pipeline = pipeline;
    event.received_at = from_unix_ms(sqlite3_column_int64(use.get(), 1));
    event.event_id = column_string(use.get(), 2);
    event.event_time = from_unix_ms(sqlite3_column_int64(use.get(), 3));
    event.headers = column_string(use.get(), 4);
    event.body = column_string(use.get(), 5);
    events.push_back(std::move(event));
  }
  if (rc != SQLITE_DONE) {
    sqlite3* db = own_reader ? reader_db_.get() : db_.get();
    return state::make_error(db, rc, for_pipeline("read webhook buffer", pipeline))
        .with_context("state store " + path_);
  }
  return events;
}

Result<std::size_t> SqliteStateStore::webhook_remove_through(const std::string& pipeline,
                                                             std::int64_t seq) {
  std::lock_guard lock(mutex_);
  StatementUse use(webhooks_.remove_through.get());
  int rc = bind_all(use.get(), pipeline, seq);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return failure(rc, for_pipeline("remove acked webhook events", pipeline));
  return static_cast<std::size_t>(sqlite3_changes64(db_.get()));
}

Result<std::uint64_t> SqliteStateStore::webhook_depth(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  StatementUse use(webhooks_.depth.get());
  int rc = bind_text(use.get(), 1, pipeline);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_ROW) return failure(rc, for_pipeline("count webhook buffer", pipeline));
  return static_cast<std::uint64_t>(sqlite3_column_int64(use.get(), 0));
}

Result<std::size_t> SqliteStateStore::webhook_purge_ids(Clock::time_point now,
                                                        std::size_t limit) {
  std::lock_guard lock(mutex_);
  StatementUse use(webhooks_.purge_ids.get());
  int rc = bind_all(use.get(), to_unix_ms(now), to_sql_limit(limit));
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return failure(rc, "purge expired webhook event ids");
  return static_cast<std::size_t>(sqlite3_changes64(db_.get()));
}

}  // namespace weft::state

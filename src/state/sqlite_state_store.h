#pragma once

// The SQLite StateStore (DESIGN.md §5). Private to src/state: the rest of weft gets one from
// open_sqlite_state_store(). The methods are split by table: sqlite_checkpoints.cc,
// sqlite_dead_letters.cc, sqlite_idempotency.cc, sqlite_crosswalk.cc, sqlite_webhooks.cc,
// sqlite_processed_objects.cc, sqlite_paused.cc; opening and the shared
// plumbing (transactions, error messages) are in sqlite_state_store.cc.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "state/key_index.h"
#include "state/sqlite_handle.h"
#include "state/state_store.h"

namespace weft::state {

// Each table's cached statements, prepared once per connection (SQLITE_PREPARE_PERSISTENT).
// `prepare` fails with "<operation>: <reason>".
struct TransactionStatements {
  Statement begin_read;   // BEGIN (deferred)
  Statement begin_write;  // BEGIN IMMEDIATE
  Statement commit;
  Statement rollback;
  static Result<TransactionStatements> prepare(sqlite3* db);
};

struct CheckpointStatements {
  Statement load;
  Statement save;
  Statement list;
  Statement remove;
  static Result<CheckpointStatements> prepare(sqlite3* db);
};

struct DeadLetterStatements {
  Statement add;
  Statement fail_again;  // the same record failed again: update its entry
  Statement get;
  Statement replay_failure;
  Statement remove;
  Statement count;
  static Result<DeadLetterStatements> prepare(sqlite3* db);
};

struct IdempotencyStatements {
  Statement scan;  // a pipeline's entries in seq order
  Statement append;
  Statement remove;  // one entry by seq
  Statement purge_expired;
  Statement evict;  // a pipeline's entries up to a seq
  static Result<IdempotencyStatements> prepare(sqlite3* db);
};

struct CrosswalkStatements {
  Statement find;              // external id -> canonical id
  Statement insert_if_absent;  // a new link, unless the external id has one
  Statement reverse;           // canonical id and system -> external id
  Statement remove_external;   // the link of an external id
  Statement remove_canonical;  // the link of a canonical id in a system
  Statement insert;            // after both removals
  static Result<CrosswalkStatements> prepare(sqlite3* db);
};

struct WebhookStatements {
  Statement remember_id;  // claims an event id unless it is remembered and unexpired
  Statement append;
  Statement read;
  Statement remove_through;
  Statement trim;  // the lowest of a pipeline's events up to a seq, at most a number of them
  Statement depth;
  Statement purge_ids;
  static Result<WebhookStatements> prepare(sqlite3* db);
};

struct ProcessedObjectStatements {
  Statement find;  // the done version of one key
  Statement record;
  Statement pending_through;  // pending objects up to an ordinal
  Statement confirm_through;
  Statement discard_after;
  Statement forget;  // keys with a prefix
  static Result<ProcessedObjectStatements> prepare(sqlite3* db);
};

// Thread-safety: one connection behind one mutex. Every call holds the mutex for all of its
// statement uses, which the cached statements need anyway. That serialises writers, and each
// write waits for its own fsync: fine for checkpoints and dead letters, and for idempotency keys
// as long as they arrive in batches (one transaction, one fsync per batch). Many pipelines
// writing small batches at once would want a writer thread with group commit instead.
//
// Idempotency keys are looked up in memory (key_indexes_), so the store must be the only writer
// of its pipelines' keys: another process appending to the same file's log would go unseen
// until a restart.
class SqliteStateStore final : public StateStore {
 public:
  // Prepares the statements; fails with "<operation>: <reason>" (no path).
  static Result<std::unique_ptr<SqliteStateStore>> create(std::string path, Database db,
                                                          int schema_version);

  Result<std::optional<Checkpoint>> load_checkpoint(const std::string& pipeline) override;
  Status save_checkpoint(const std::string& pipeline, const Position& position) override;
  Result<std::vector<Checkpoint>> list_checkpoints() override;
  Status delete_checkpoint(const std::string& pipeline) override;

  Status add_dead_letters(std::vector<DeadLetter>& letters) override;
  Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterFilter& filter) override;
  Result<std::optional<DeadLetter>> get_dead_letter(std::int64_t id) override;
  Result<std::size_t> request_replay(const DeadLetterFilter& filter) override;
  Status record_replay_failure(std::int64_t id, const std::string& error_kind,
                               const std::string& error, int attempts,
                               Clock::time_point when) override;
  Status remove_dead_letters(const std::vector<std::int64_t>& ids) override;
  Result<std::size_t> purge_dead_letters(const DeadLetterFilter& filter) override;
  Result<std::uint64_t> count_dead_letters(const std::string& pipeline) override;

  Result<std::vector<bool>> find_keys(const std::string& pipeline,
                                      const std::vector<std::string>& keys,
                                      Clock::time_point now) override;
  Status remember_keys(const std::string& pipeline, const std::vector<std::string>& keys,
                       Clock::time_point expires_at) override;
  Result<std::size_t> purge_keys(const std::string& pipeline, Clock::time_point now,
                                 std::size_t max_keys, std::size_t limit) override;

  Result<std::optional<std::string>> crosswalk_find(const std::string& entity,
                                                    const std::string& system,
                                                    const std::string& external_id) override;
  Result<std::vector<std::string>> crosswalk_find_or_create_many(
      const std::string& entity, const std::string& system,
      const std::vector<std::string>& external_ids,
      const std::vector<std::string>& candidates) override;
  Result<std::optional<std::string>> crosswalk_reverse(const std::string& entity,
                                                       const std::string& canonical_id,
                                                       const std::string& system) override;
  Status crosswalk_put(const std::vector<CrosswalkLink>& links) override;
  Result<std::vector<CrosswalkLink>> crosswalk_list(const CrosswalkFilter& filter) override;

  Result<std::vector<bool>> webhook_append(std::vector<WebhookEvent>& events,
                                           std::vector<WebhookTrim>& trims,
                                           Clock::time_point now) override;
  Result<std::vector<WebhookEvent>> webhook_read(const std::string& pipeline,
                                                 std::int64_t after_seq,
                                                 std::size_t limit) override;
  Result<std::size_t> webhook_remove_through(const std::string& pipeline,
                                             std::int64_t seq) override;
  Result<std::uint64_t> webhook_depth(const std::string& pipeline) override;
  Result<std::size_t> webhook_purge_ids(Clock::time_point now, std::size_t limit) override;

  Result<std::vector<std::optional<std::string>>> processed_versions(
      const std::string& pipeline, const std::vector<std::string>& keys) override;
  Status record_processed(const std::string& pipeline, const std::vector<ObjectEntry>& entries,
                          Clock::time_point now) override;
  Result<std::vector<std::pair<std::string, std::string>>> confirm_processed(
      const std::string& pipeline, std::uint64_t through) override;
  Result<std::size_t> discard_pending(const std::string& pipeline, std::uint64_t after) override;
  Result<std::size_t> forget_processed(const std::string& pipeline,
                                       const std::string& key_prefix) override;

  Result<std::optional<Clock::time_point>> paused_since(const std::string& pipeline) override;
  Status set_paused(const std::string& pipeline, bool paused) override;

  int schema_version() const override { return schema_version_; }

  // A second connection for webhook_read: in WAL mode its reads neither wait for nor hold up
  // the writers' transactions (a webhook group commit waiting behind a pipeline reading its
  // buffer added tens of milliseconds to accept latency under load).
  Status open_reader(Database reader);

 private:
  SqliteStateStore(std::string path, Database db, int schema_version,
                   TransactionStatements transactions, CheckpointStatements checkpoints,
                   DeadLetterStatements dead_letters, IdempotencyStatements idempotency,
                   CrosswalkStatements crosswalk, WebhookStatements webhooks,
                   ProcessedObjectStatements processed);

  // ---- called with mutex_ held ----

  // "state store <path>: <operation>: <the connection's last error>", classified by `rc`.
  // Build it before anything else runs on the connection (a rollback replaces the message).
  Error failure(int rc, std::string_view operation);
  // An error that did not come from SQLite, with the same prefix.
  Error located(Error error) const;

  // Start a transaction; SQLITE_DONE on success. A failed begin leaves none open.
  int begin_read();
  int begin_write();
  // Commits; on failure rolls back and returns the failure for `operation`.
  Status commit(std::string_view operation);
  // The transaction failed with `rc`: captures the error, then rolls back.
  Error abort_transaction(int rc, std::string_view operation);
  // Inside add_dead_letters' transaction: updates the entry of a record already queued (same
  // pipeline and source position) and sets `id` to it, or leaves `id` 0. Returns SQLITE_DONE on
  // success, else the SQLite error.
  int fail_again(const DeadLetter& letter, const std::string& record, std::int64_t& id);
  // Runs `statement` (an UPDATE or DELETE of dead_letters) on the entries `filter` selects;
  // returns how many it changed.
  Result<std::size_t> change_filtered(std::string_view statement, const DeadLetterFilter& filter,
                                      const std::string& operation);
  // Rolls back if a transaction is open; used where the error is already captured.
  void rollback();
  // The pipeline's key index, loaded from idempotency_log on first use (sqlite_idempotency.cc).
  // Fails with the error for `operation`; a failed load is retried on the next call.
  Result<KeyIndex*> key_index(const std::string& pipeline, std::string_view operation);
  // Runs a one-column lookup (crosswalk find or reverse) bound to the three keys; the column,
  // nullopt when there is no row, or the error for `operation` (sqlite_crosswalk.cc).
  Result<std::optional<std::string>> crosswalk_lookup(sqlite3_stmt* stmt, const std::string& a,
                                                      const std::string& b, const std::string& c,
                                                      const std::string& operation);

  const std::string path_;
  const int schema_version_;
  std::mutex mutex_;
  // Guarded by mutex_. The statements are declared after db_ so they are finalized first.
  Database db_;
  TransactionStatements transactions_;
  CheckpointStatements checkpoints_;
  DeadLetterStatements dead_letters_;
  IdempotencyStatements idempotency_;
  CrosswalkStatements crosswalk_;
  WebhookStatements webhooks_;
  ProcessedObjectStatements processed_;
  std::mutex reader_mutex_;  // guards the two members below
  Database reader_db_;        // null until open_reader()
  Statement reader_webhook_read_;
  // Loaded pipelines only. Holds only what has committed: updated after a commit succeeds.
  std::unordered_map<std::string, KeyIndex> key_indexes_;
};

// "<operation> for pipeline '<pipeline>'", the middle part of an operation's error message.
std::string for_pipeline(std::string_view operation, const std::string& pipeline);

}  // namespace weft::state

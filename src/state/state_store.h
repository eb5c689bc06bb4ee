#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/context.h"
#include "weft/record.h"
#include "weft/status.h"

namespace weft {

struct Checkpoint {
  std::string pipeline;
  Position position;
  Clock::time_point updated_at;
};

// One record the pipeline gave up on (docs/delivery.md): kept with everything needed to
// understand the failure and to deliver the record again.
struct DeadLetter {
  std::int64_t id = 0;          // assigned by the store; increasing in insertion order
  std::string pipeline;
  std::string stage;            // where it failed: "sink" (later "map", "filter", ...)
  std::string error_kind;       // "permanent", or "retryable" when retries were exhausted
  std::string error;            // the last error message
  int attempts = 0;             // delivery attempts made
  Clock::time_point first_failure{};
  Clock::time_point last_failure{};
  Record record;                // the original record: payload, key, headers, position, ...
  bool replay_requested = false;  // `weft dlq replay` asked for it; the pipeline picks it up
};

// Which dead letters an operation applies to. Empty fields do not filter. Every member has a
// default initializer, so designated initializers ({.pipeline = "orders"}) compile cleanly
// under -Wextra.
struct DeadLetterFilter {
  std::optional<std::string> pipeline{};
  std::optional<std::int64_t> id{};
  std::optional<Clock::time_point> since{};  // last_failure >= since
  bool replay_requested_only = false;
  std::int64_t after_id = 0;               // paging: only ids greater than this
  std::size_t limit = 0;                   // 0: no limit (list only)
};

// One row of a crosswalk table: `external_id` in `system` is `canonical_id` of `entity`.
struct CrosswalkLink {
  std::string entity;
  std::string system;
  std::string external_id;
  std::string canonical_id;
  Clock::time_point updated_at{};  // set by the store
};

// One request a webhook source accepted (docs/connectors/webhook.md), kept in the durable buffer
// until the pipeline acks it.
struct WebhookEvent {
  std::int64_t seq = 0;             // assigned by the store; increasing, never reused
  std::string pipeline;
  std::string event_id;             // the provider's event id; empty: not deduplicated
  Clock::time_point received_at{};
  Clock::time_point event_time{};   // the signed timestamp when the scheme has one
  Clock::time_point id_expires_at{};  // until when event_id is remembered
  std::string headers;              // the headers kept, as a JSON object
  std::string body;                 // the raw body, byte for byte
};

// Acked webhook events to delete in the same transaction as an append group, a slice at a time
// so that one big delete never holds up the appends behind it.
struct WebhookTrim {
  std::string pipeline;
  std::int64_t through_seq = 0;  // delete the pipeline's events with seq <= this,
  std::size_t limit = 0;         // at most this many, lowest seqs first (0: all)
  std::size_t removed = 0;       // set by the store
};

struct CrosswalkFilter {
  std::string entity{};  // empty: any
  std::string system{};  // empty: any
  std::optional<CrosswalkLink> after{};  // paging, by (entity, system, external_id)
  std::size_t limit = 0;
};

// Durable daemon state (DESIGN.md §5): checkpoints, the DLQ, idempotency keys, crosswalks and the
// webhook buffer, each table added by a numbered migration.
//
// Thread-safe: every method may be called from any thread. A write has returned only once it is
// durable (the SQLite transaction committed in WAL mode with synchronous=FULL).
class StateStore {
 public:
  virtual ~StateStore() = default;

  // The pipeline's last saved checkpoint, or nullopt if it has none.
  virtual Result<std::optional<Checkpoint>> load_checkpoint(const std::string& pipeline) = 0;
  // Inserts or replaces the pipeline's checkpoint, stamping updated_at with the current time.
  // The position is stored byte for byte (it may hold any bytes, NUL included).
  virtual Status save_checkpoint(const std::string& pipeline, const Position& position) = 0;
  // Every checkpoint, ordered by pipeline name.
  virtual Result<std::vector<Checkpoint>> list_checkpoints() = 0;
  // Removes the pipeline's checkpoint; succeeds when there is none.
  virtual Status delete_checkpoint(const std::string& pipeline) = 0;

  // ---- dead-letter queue ----
  // Appends the entries in one durable transaction and writes their ids back into `letters`.
  // When this returns ok, the records are safe: the pipeline may acknowledge them.
  virtual Status add_dead_letters(std::vector<DeadLetter>& letters) = 0;
  // Matching entries ordered by id.
  virtual Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterFilter& filter) = 0;
  virtual Result<std::optional<DeadLetter>> get_dead_letter(std::int64_t id) = 0;
  // Marks matching entries for replay (`limit` does not apply); returns how many were marked
  // (already marked ones count).
  virtual Result<std::size_t> request_replay(const DeadLetterFilter& filter) = 0;
  // A replayed entry failed again: records the new error, adds `attempts`, sets last_failure,
  // and clears its replay mark (it stays in the queue until replayed again or purged). An
  // unknown id (purged meanwhile) is ignored.
  virtual Status record_replay_failure(std::int64_t id, const std::string& error_kind,
                                       const std::string& error, int attempts,
                                       Clock::time_point when) = 0;
  // Deletes entries by id (a replay delivered them); unknown ids are ignored.
  virtual Status remove_dead_letters(const std::vector<std::int64_t>& ids) = 0;
  // Deletes matching entries (`limit` does not apply); returns how many.
  virtual Result<std::size_t> purge_dead_letters(const DeadLetterFilter& filter) = 0;
  // Entries per pipeline (the weft_dlq_depth gauge).
  virtual Result<std::uint64_t> count_dead_letters(const std::string& pipeline) = 0;

  // ---- idempotency keys ----
  // For each key, whether the pipeline has it recorded and unexpired at `now`.
  virtual Result<std::vector<bool>> find_keys(const std::string& pipeline,
                                              const std::vector<std::string>& keys,
                                              Clock::time_point now) = 0;
  // Records the keys (one durable transaction), each expiring at `expires_at`; a key already
  // present gets the new expiry.
  virtual Status remember_keys(const std::string& pipeline, const std::vector<std::string>& keys,
                               Clock::time_point expires_at) = 0;
  // Background maintenance: deletes up to `limit` keys (of any pipeline) expired at `now` (0: all
  // of them), then, for the pipeline, the keys remembered longest ago beyond `max_keys` (0:
  // unbounded; with one TTL per pipeline these are the ones expiring first). One transaction.
  // Returns how many stored entries went (a key remembered again may leave an older entry behind
  // until then, which counts too).
  virtual Result<std::size_t> purge_keys(const std::string& pipeline, Clock::time_point now,
                                         std::size_t max_keys, std::size_t limit) = 0;

  // ---- crosswalk tables (docs/mapping.md) ----
  // One entity (customer, account, ...) known under different ids in different systems:
  // (entity, system, external_id) -> canonical_id. Each external id maps to exactly one
  // canonical id; a canonical id has at most one external id per system.
  //
  // The canonical id of an external id, or nullopt when it is not known.
  virtual Result<std::optional<std::string>> crosswalk_find(const std::string& entity,
                                                            const std::string& system,
                                                            const std::string& external_id) = 0;
  // The canonical id of each external id (`external_ids[i]`), creating the link to
  // `candidates[i]` where there is none; one durable transaction for every link created, so a
  // batch of new entities costs one fsync. Atomic across threads and processes sharing the
  // store: when several callers race for one external id, every one of them gets the same
  // canonical id (the first committed). A candidate already linked to another of the system's
  // ids fails the whole call with a permanent error naming both.
  virtual Result<std::vector<std::string>> crosswalk_find_or_create_many(
      const std::string& entity, const std::string& system,
      const std::vector<std::string>& external_ids, const std::vector<std::string>& candidates) = 0;
  // The same for one external id.
  Result<std::string> crosswalk_find_or_create(const std::string& entity,
                                               const std::string& system,
                                               const std::string& external_id,
                                               const std::string& candidate) {
    auto linked = crosswalk_find_or_create_many(entity, system, {external_id}, {candidate});
    if (!linked.ok()) return linked.error();
    return std::move(linked->front());
  }
  // The system's id for a canonical id (reverse lookup, for sinks), or nullopt.
  virtual Result<std::optional<std::string>> crosswalk_reverse(const std::string& entity,
                                                               const std::string& canonical_id,
                                                               const std::string& system) = 0;
  // Links external ids to canonical ids in one durable transaction, replacing what the
  // external ids mapped to and the system's previous id for those canonical ids (a sink writing
  // back the id a target assigned, `weft crosswalk put|import`).
  virtual Status crosswalk_put(const std::vector<CrosswalkLink>& links) = 0;
  // Links ordered by entity, system and external id; empty filters match everything.
  // `after` pages: only links after that (entity, system, external_id); limit 0 = all.
  virtual Result<std::vector<CrosswalkLink>> crosswalk_list(const CrosswalkFilter& filter) = 0;

  // ---- webhook buffer (docs/connectors/webhook.md) ----
  // Appends the events and applies the trims in ONE durable transaction (the webhook listener's
  // group commit), writing the events' seqs and the trims' `removed` back. An event whose
  // (pipeline, event_id) was accepted before and is still remembered is not appended: its entry
  // in the result is false (a duplicate delivery) and its seq stays 0. Event ids are remembered
  // until `id_expires_at`, past the buffer entry's deletion.
  virtual Result<std::vector<bool>> webhook_append(std::vector<WebhookEvent>& events,
                                                   std::vector<WebhookTrim>& trims,
                                                   Clock::time_point now) = 0;
  // Up to `limit` of the pipeline's buffered events with seq > after_seq, in seq order.
  virtual Result<std::vector<WebhookEvent>> webhook_read(const std::string& pipeline,
                                                         std::int64_t after_seq,
                                                         std::size_t limit) = 0;
  // Deletes the pipeline's events with seq <= `seq` (they were acked); returns how many.
  virtual Result<std::size_t> webhook_remove_through(const std::string& pipeline,
                                                     std::int64_t seq) = 0;
  // Events buffered for the pipeline (the weft_webhook_buffer_depth gauge).
  virtual Result<std::uint64_t> webhook_depth(const std::string& pipeline) = 0;
  // Forgets up to `limit` event ids (any pipeline) expired at `now`; returns how many.
  virtual Result<std::size_t> webhook_purge_ids(Clock::time_point now, std::size_t limit) = 0;

  // ---- processed objects (the files source, docs/connectors/files.md) ----
  // For each of `keys`, the version recorded as done for the pipeline, or nullopt (pending
  // objects do not count).
  virtual Result<std::vector<std::optional<std::string>>> processed_versions(
      const std::string& pipeline, const std::vector<std::string>& keys) = 0;
  // Durably records the pipeline's objects in one transaction: each done, or pending until
  // confirm_processed covers its ordinal. Replaces what their keys had.
  virtual Status record_processed(const std::string& pipeline,
                                  const std::vector<ObjectEntry>& entries,
                                  Clock::time_point now) = 0;
  // Marks the pipeline's pending objects numbered up to `through` done, in one transaction;
  // returns them (key, version) in ordinal order.
  virtual Result<std::vector<std::pair<std::string, std::string>>> confirm_processed(
      const std::string& pipeline, std::uint64_t through) = 0;
  // Deletes the pipeline's pending objects numbered after `after` (read, but no checkpoint
  // covers them: they are read again); returns how many.
  virtual Result<std::size_t> discard_pending(const std::string& pipeline,
                                              std::uint64_t after) = 0;
  // Forgets the pipeline's processed objects whose key starts with `key_prefix` ("" forgets
  // all), so they are read again; returns how many.
  virtual Result<std::size_t> forget_processed(const std::string& pipeline,
                                               const std::string& key_prefix) = 0;

  // When an operator paused the pipeline (`weft pause`), or nullopt when it is not paused.
  virtual Result<std::optional<Clock::time_point>> paused_since(const std::string& pipeline) = 0;
  // Pauses (stamping the current time; an existing pause keeps its time) or resumes.
  virtual Status set_paused(const std::string& pipeline, bool paused) = 0;

  // The schema version the store is at after migrations.
  virtual int schema_version() const = 0;
};

// Tuning for the SQLite store. The defaults suit the daemon; tests shorten the timeout.
struct SqliteStateStoreOptions {
  // How long a statement waits for another connection's lock (another weft process sharing the
  // file, a backup tool) before failing with a retryable error.
  std::chrono::milliseconds busy_timeout{5000};
};

// Opens (creating if needed) the SQLite state store at `path`, creating parent directories,
// and runs pending migrations. Fails with a message naming the path when it cannot be created,
// opened, written, or was written by a newer weft.
//
// Failures at open: invalid_config when the path cannot be used (a directory cannot be created,
// the file cannot be opened or written, it is not a weft state database, or it was written by a
// newer weft); retryable when another process holds the database locked past the busy timeout;
// permanent for other SQLite failures. Every message starts "state store <path>: ".
//
// Operations on the returned store fail with "state store <path>: <operation> for pipeline
// '<name>': <reason>", retryable for lock contention (SQLITE_BUSY/LOCKED), permanent otherwise.
Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path);
Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path,
                                                            const SqliteStateStoreOptions& options);

}  // namespace weft

#include "state/migrations.h"

namespace weft::state {
namespace {

// The state database's schema history.
//
// To change the schema (idempotency keys, the DLQ, crosswalk tables, the webhook buffer, ...)
// append ONE entry with the next version number. Never edit, reorder or remove an entry that has
// shipped: databases in the field have already applied it, and user_version only records how
// many entries ran. Each entry runs in its own transaction together with the user_version bump,
// so it is applied completely or not at all.
constexpr Migration kMigrations[] = {
    {1, "create checkpoints",
     R"sql(
       CREATE TABLE checkpoints (
         pipeline   TEXT PRIMARY KEY,
         position   TEXT NOT NULL,
         updated_at INTEGER NOT NULL  -- unix time, milliseconds
       );
     )sql"},
    {2, "create dead_letters",
     R"sql(
       CREATE TABLE dead_letters (
         id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: never reused
         pipeline         TEXT NOT NULL,
         stage            TEXT NOT NULL,
         error_kind       TEXT NOT NULL,
         error            TEXT NOT NULL,
         attempts         INTEGER NOT NULL,
         first_failure    INTEGER NOT NULL,  -- unix time, milliseconds
         last_failure     INTEGER NOT NULL,  -- unix time, milliseconds
         record           TEXT NOT NULL,     -- record_to_json, serialized
         position         TEXT NOT NULL,     -- the record's position (any bytes), for inspection
         record_key       TEXT NOT NULL,     -- the record's key (any bytes), for inspection
         replay_requested INTEGER NOT NULL DEFAULT 0
       );
       -- A pipeline's entries in id order (list, count, purge).
       CREATE INDEX dead_letters_by_pipeline ON dead_letters (pipeline, id);
       -- The few entries marked for replay, which the pipeline polls for; queries must say
       -- "replay_requested = 1" literally for SQLite to use it.
       CREATE INDEX dead_letters_replay ON dead_letters (pipeline, id) WHERE replay_requested = 1;
     )sql"},
    {3, "create idempotency_keys",
     R"sql(
       CREATE TABLE idempotency_keys (
         pipeline   TEXT NOT NULL,
         key        TEXT NOT NULL,     -- any bytes
         expires_at INTEGER NOT NULL,  -- unix time, milliseconds
         PRIMARY KEY (pipeline, key)
       ) WITHOUT ROWID;
       -- Purging expired keys and evicting the earliest-expiring ones beyond a pipeline's cap.
       CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (pipeline, expires_at);
     )sql"},
    // Keyed by (pipeline, key), every batch of random keys (UUIDs, event ids) dirtied a page per
    // key. Now the keys are an append-only log and the lookup index lives in memory
    // (sqlite_idempotency.cc). Keys recorded under version 3 are forgotten: SQL cannot compute
    // their fingerprints, and forgetting only risks delivering a duplicate again.
    {4, "idempotency keys as a log",
     R"sql(
       DROP TABLE idempotency_keys;
       CREATE TABLE idempotency_log (
         seq         INTEGER PRIMARY KEY,  -- the rowid: appends go to the end of the table
         pipeline    TEXT NOT NULL,
         fingerprint BLOB NOT NULL,        -- the first 16 bytes of SHA-256(key)
         expires_at  INTEGER NOT NULL      -- unix time, milliseconds
       );
       -- Loading a pipeline's keys and evicting its oldest ones.
       CREATE INDEX idempotency_log_by_pipeline ON idempotency_log (pipeline, seq);
       -- Purging expired entries without a table scan. With one TTL per pipeline, expiries
       -- grow with time, so this index is appended to as well.
       CREATE INDEX idempotency_log_by_expiry ON idempotency_log (expires_at);
     )sql"},
    // A record that fails again after a crash (its source position was not committed yet) must
    // update its entry, not add a second one: the lookup by position this index serves.
    {5, "dead letters by source position",
     R"sql(
       CREATE INDEX dead_letters_by_position ON dead_letters (pipeline, position);
     )sql"},
    // Crosswalk tables (docs/mapping.md): one entity's ids across systems. The primary key
    // answers "which canonical id is this external id"; the unique index answers the reverse
    // lookup and enforces one external id per canonical id and system.
    {6, "create crosswalk",
     R"sql(
       CREATE TABLE crosswalk (
         entity       TEXT NOT NULL,
         system       TEXT NOT NULL,
         external_id  TEXT NOT NULL,     -- any bytes
         canonical_id TEXT NOT NULL,
         updated_at   INTEGER NOT NULL,  -- unix time, milliseconds
         PRIMARY KEY (entity, system, external_id)
       ) WITHOUT ROWID;
       CREATE UNIQUE INDEX crosswalk_by_canonical ON crosswalk (entity, canonical_id, system);
     )sql"},
    // The webhook source's durable buffer (docs/connectors/webhook.md): each accepted request,
    // kept until the pipeline acks it. AUTOINCREMENT: a seq is a source position, so it must
    // never be handed out again, not even after the buffer has been emptied. The ids of accepted
    // events are remembered (past the buffer) so a provider's retry is recognised.
    {7, "create webhook buffer",
     R"sql(
       CREATE TABLE webhook_buffer (
         seq         INTEGER PRIMARY KEY AUTOINCREMENT,
         pipeline    TEXT NOT NULL,
         received_at INTEGER NOT NULL,  -- unix time, milliseconds
         event_id    TEXT NOT NULL,     -- '' when the event has none
         event_time  INTEGER NOT NULL,  -- the signed timestamp (ms), else received_at
         headers     TEXT NOT NULL,     -- JSON object of the headers kept
         body        BLOB NOT NULL      -- the raw request body
       );
       CREATE INDEX webhook_buffer_by_pipeline ON webhook_buffer (pipeline, seq);
       CREATE TABLE webhook_event_ids (
         pipeline   TEXT NOT NULL,
         event_id   TEXT NOT NULL,
         expires_at INTEGER NOT NULL,  -- unix time, milliseconds
         PRIMARY KEY (pipeline, event_id)
       ) WITHOUT ROWID;
       CREATE INDEX webhook_event_ids_by_expiry ON webhook_event_ids (expires_at);
     )sql"},
    // The files source's ledger (docs/connectors/files.md): each object a pipeline has read to
    // the end, by key and version (S3 ETag). A row is 'pending' from when the object's last
    // record leaves until a checkpoint covers it, then 'done'; `ordinal` numbers the objects of
    // a pipeline in the order they were read, which is what a checkpoint is compared with.
    {8, "create processed objects",
     R"sql(
       CREATE TABLE processed_objects (
         pipeline     TEXT NOT NULL,
         key          TEXT NOT NULL,
         version      TEXT NOT NULL,
         ordinal      INTEGER NOT NULL,
         done         INTEGER NOT NULL,  -- 0: pending, 1: done
         processed_at INTEGER NOT NULL,  -- unix time, milliseconds
         PRIMARY KEY (pipeline, key)
       ) WITHOUT ROWID;
       CREATE INDEX processed_objects_pending ON processed_objects (pipeline, ordinal)
         WHERE done = 0;
     )sql"},
    // Pipelines an operator paused (`weft pause`): they stay paused across restarts until
    // `weft resume`.
    {9, "create paused pipelines",
     R"sql(
       CREATE TABLE paused_pipelines (
         pipeline  TEXT PRIMARY KEY,
         paused_at INTEGER NOT NULL  -- unix time, milliseconds
       ) WITHOUT ROWID;
     )sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return static_cast<int>(std::size(kMigrations)); }

}  // namespace weft::state

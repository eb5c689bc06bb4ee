// Idempotency keys in the SQLite state store: an append-only log on disk (idempotency_log,
// migration 4) and, per pipeline, a hash map in memory from the key's fingerprint to its newest
// log entry (key_index.h).
//
// Why: keyed by (pipeline, key) in SQLite, a batch of random keys (UUIDs, event ids) dirtied
// about one B-tree page per key. Appends dirty a few pages at the end of the table and of its
// indexes whatever the keys look like, and lookups never reach SQLite.
// bench/idempotency_bench.cc measures it.
//
// Invariants, all under the store's mutex:
// - A map entry points at its key's newest row, and only once that row has committed: memory
//   never claims a key that a crash would lose.
// - A key remembered again leaves its older rows in the log until a purge, but never one that
//   expires later than the newest (remember_keys deletes such a row). So deleting expired rows or
//   a pipeline's oldest rows cannot make an older, longer expiry reappear when the map is rebuilt
//   from the log after a restart.
// - seq (the rowid) of a new row is above every existing row, so the lowest seq was remembered
//   longest ago. SQLite may hand out again the seq of a deleted last row; no map entry points at
//   a deleted row, so that is harmless (and AUTOINCREMENT would cost a write per append).

#include <cstring>
#include <limits>
#include <utility>

#include "state/key_index.h"
#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

// By the (pipeline, seq) index; the table lookups for the other columns go in rowid order.
constexpr std::string_view kScanSql =
    "SELECT seq, fingerprint, expires_at FROM idempotency_log WHERE pipeline = ?1 ORDER BY seq";
constexpr std::string_view kAppendSql =
    "INSERT INTO idempotency_log (pipeline, fingerprint, expires_at) VALUES (?1, ?2, ?3)";
constexpr std::string_view kRemoveSql = "DELETE FROM idempotency_log WHERE seq = ?1";
// A range of the expiry index, any pipeline. RETURNING tells which map entries to drop.
constexpr std::string_view kPurgeExpiredSql =
    "DELETE FROM idempotency_log WHERE seq IN (SELECT seq FROM idempotency_log "
    "WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2) RETURNING seq, pipeline, fingerprint";
constexpr std::string_view kEvictSql =
    "DELETE FROM idempotency_log WHERE pipeline = ?1 AND seq <= ?2";

// Map entries a purge drops once its transaction has committed.
using DroppedEntries = std::vector<std::pair<KeyIndex*, KeyFingerprint>>;

std::int64_t to_sql_count(std::size_t n) {
  constexpr std::size_t kMax = std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(n < kMax ? n : kMax);
}

int bind_fingerprint(sqlite3_stmt* stmt, int index, const KeyFingerprint& fingerprint) {
  return sqlite3_bind_blob(stmt, index, fingerprint.data(), static_cast<int>(fingerprint.size()),
                           SQLITE_STATIC);
}

// False when the column does not hold a fingerprint (the store never writes such a row).
bool column_fingerprint(sqlite3_stmt* stmt, int column, KeyFingerprint& fingerprint) {
  const void* blob = sqlite3_column_blob(stmt, column);
  if (blob == nullptr ||
      sqlite3_column_bytes(stmt, column) != static_cast<int>(fingerprint.size())) {
    return false;
  }
  std::memcpy(fingerprint.data(), blob, fingerprint.size());
  return true;
}

// Whether the entry for `fingerprint` in `index` points at row `seq`, i.e. deleting that row
// forgets the key.
bool is_newest(const KeyIndex& index, const KeyFingerprint& fingerprint, std::int64_t seq) {
  const auto entry = index.find(fingerprint);
  return entry != index.end() && entry->second.seq == seq;
}

// Deletes up to `limit` rows (0: all) of any pipeline expired at `now_ms`, adding to `removed`
// and to `dropped` for loaded pipelines. Inside the caller's write transaction; returns
// SQLITE_OK or the failure.
int delete_expired(IdempotencyStatements& statements,
                   std::unordered_map<std::string, KeyIndex>& indexes, std::int64_t now_ms,
                   std::size_t limit, std::size_t& removed, DroppedEntries& dropped) {
  StatementUse use(statements.purge_expired.get());
  sqlite3_stmt* stmt = use.get();
  int rc = bind_all(stmt, now_ms, limit == 0 ? std::int64_t{-1} : to_sql_count(limit));
  if (rc != SQLITE_OK) return rc;
  // The first step deletes every row; the steps read them back.
  std::string pipeline;
  KeyIndex* index = nullptr;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ++removed;
    const std::int64_t seq = sqlite3_column_int64(stmt, 0);
    const unsigned char* name = sqlite3_column_text(stmt, 1);
    const auto name_size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, 1));
    if (name == nullptr) continue;
    if (pipeline.size() != name_size || std::memcmp(pipeline.data(), name, name_size) != 0) {
      pipeline.assign(reinterpret_cast<const char*>(name), name_size);
      const auto loaded = indexes.find(pipeline);
      index = loaded == indexes.end() ? nullptr : &loaded->second;
    }
    KeyFingerprint fingerprint;
    if (index != nullptr && column_fingerprint(stmt, 2, fingerprint) &&
        is_newest(*index, fingerprint, seq)) {
      dropped.emplace_back(index, fingerprint);
    }
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// Deletes the pipeline's oldest rows until `excess` of its keys have gone (older rows of keys
// remembered again go with them), adding to `removed` and `dropped`. Inside the caller's write
// transaction; returns SQLITE_OK or the failure.
int evict_oldest(sqlite3* db, IdempotencyStatements& statements, const std::string& pipeline,
                 KeyIndex& index, std::size_t excess, std::size_t& removed,
                 DroppedEntries& dropped) {
  // Find the newest row to delete first, then delete the range in one statement: the scan
  // stays clear of rows it is deleting.
  std::int64_t last = 0;
  bool any = false;
  {
    StatementUse use(statements.scan.get());
    int rc = bind_all(use.get(), pipeline);
    while (rc == SQLITE_OK && excess > 0) {
      rc = sqlite3_step(use.get());
      if (rc != SQLITE_ROW) break;
      rc = SQLITE_OK;
      last = sqlite3_column_int64(use.get(), 0);
      any = true;
      KeyFingerprint fingerprint;
      if (column_fingerprint(use.get(), 1, fingerprint) && is_newest(index, fingerprint, last)) {
        dropped.emplace_back(&index, fingerprint);
        --excess;
      }
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
  }
  if (!any) return SQLITE_OK;
  StatementUse use(statements.evict.get());
  int rc = bind_all(use.get(), pipeline, last);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return rc;
  removed += static_cast<std::size_t>(sqlite3_changes64(db));
  return SQLITE_OK;
}

}  // namespace

Result<IdempotencyStatements> IdempotencyStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto scan = state::prepare(db, kScanSql, kFlags, "prepare idempotency scan");
  if (!scan) return scan.error();
  auto append = state::prepare(db, kAppendSql, kFlags, "prepare idempotency append");
  if (!append) return append.error();
  auto remove = state::prepare(db, kRemoveSql, kFlags, "prepare idempotency delete");
  if (!remove) return remove.error();
  auto purge = state::prepare(db, kPurgeExpiredSql, kFlags, "prepare idempotency purge");
  if (!purge) return purge.error();
  auto evict = state::prepare(db, kEvictSql, kFlags, "prepare idempotency eviction");
  if (!evict) return evict.error();
  return IdempotencyStatements{std::move(*scan), std::move(*append), std::move(*remove),
                               std::move(*purge), std::move(*evict)};
}

Result<KeyIndex*> SqliteStateStore::key_index(const std::string& pipeline,
                                              std::string_view operation) {
  if (const auto loaded = key_indexes_.find(pipeline); loaded != key_indexes_.end()) {
    return &loaded->second;
  }
  // One statement, so one snapshot: no transaction needed. Rows come oldest first, so the
  // newest row of a key remembered again is the one that stays.
  KeyIndex index;
  StatementUse use(idempotency_.scan.get());
  int rc = bind_all(use.get(), pipeline);
  while (rc == SQLITE_OK) {
    rc = sqlite3_step(use.get());
    if (rc != SQLITE_ROW) break;
    rc = SQLITE_OK;
    const std::int64_t seq = sqlite3_column_int64(use.get(), 0);
    KeyFingerprint fingerprint;
    if (!column_fingerprint(use.get(), 1, fingerprint)) {
      return located(Error::permanent(std::string(operation) + ": idempotency_log row " +
                                      std::to_string(seq) + " holds no 16-byte fingerprint"));
    }
    index.insert_or_assign(fingerprint, KeyEntry{sqlite3_column_int64(use.get(), 2), seq});
  }
  if (rc != SQLITE_DONE) return failure(rc, operation);
  return &key_indexes_.emplace(pipeline, std::move(index)).first->second;
}

Result<std::vector<bool>> SqliteStateStore::find_keys(const std::string& pipeline,
                                                      const std::vector<std::string>& keys,
                                                      Clock::time_point now) {
  std::vector<bool> found(keys.size(), false);
  if (keys.empty()) return found;
  const std::string operation = for_pipeline("find idempotency keys", pipeline);
  auto fingerprints = fingerprint_keys(keys);  // before the lock: the CPU-heavy part
  if (!fingerprints) return located(Error(fingerprints.error()).with_context(operation));
  const std::int64_t now_ms = to_unix_ms(now);
  std::lock_guard lock(mutex_);
  auto index = key_index(pipeline, operation);
  if (!index) return index.error();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto entry = (*index)->find((*fingerprints)[i]);
    found[i] = entry != (*index)->end() && entry->second.expires_at_ms > now_ms;
  }
  return found;
}

Status SqliteStateStore::remember_keys(const std::string& pipeline,
                                       const std::vector<std::string>& keys,
                                       Clock::time_point expires_at) {
  if (keys.empty()) return Status::ok_status();
  const std::string operation = for_pipeline("remember idempotency keys", pipeline);
  auto fingerprints = fingerprint_keys(keys);
  if (!fingerprints) return located(Error(fingerprints.error()).with_context(operation));
  const std::int64_t expires_ms = to_unix_ms(expires_at);
  std::vector<std::int64_t> seqs(keys.size());
  std::lock_guard lock(mutex_);
  auto loaded = key_index(pipeline, operation);
  if (!loaded) return loaded.error();
  KeyIndex& index = **loaded;
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  {
    StatementUse append(idempotency_.append.get());
    int rc = bind_text(append.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(append.get(), 3, expires_ms);
    for (std::size_t i = 0; rc == SQLITE_OK && i < keys.size(); ++i) {
      const KeyFingerprint& fingerprint = (*fingerprints)[i];
      // An older row that would outlive the new expiry goes now (see the invariants above). The
      // usual case, a key remembered again after it expired, keeps its old row until a purge.
      if (const auto entry = index.find(fingerprint);
          entry != index.end() && entry->second.expires_at_ms > expires_ms) {
        StatementUse remove(idempotency_.remove.get());
        rc = bind_all(remove.get(), entry->second.seq);
        if (rc == SQLITE_OK) rc = sqlite3_step(remove.get());
        if (rc != SQLITE_DONE) break;
      }
      rc = bind_fingerprint(append.get(), 2, fingerprint);
      if (rc == SQLITE_OK) rc = sqlite3_step(append.get());
      if (rc != SQLITE_DONE) break;
      seqs[i] = sqlite3_last_insert_rowid(db_.get());
      rc = sqlite3_reset(append.get());  // keeps ?1 and ?3 bound
    }
    if (rc != SQLITE_OK) return abort_transaction(rc, operation);
  }
  if (Status committed = commit(operation); !committed) return committed;
  // Durable now. In batch order, so a key listed twice points at its later row.
  for (std::size_t i = 0; i < keys.size(); ++i) {
    index.insert_or_assign((*fingerprints)[i], KeyEntry{expires_ms, seqs[i]});
  }
  return Status::ok_status();
}

Result<std::size_t> SqliteStateStore::purge_keys(const std::string& pipeline, Clock::time_point now,
                                                 std::size_t max_keys, std::size_t limit) {
  const std::string operation = for_pipeline("purge idempotency keys", pipeline);
  std::size_t removed = 0;  // rows, older rows of keys remembered again included
  DroppedEntries dropped;
  std::lock_guard lock(mutex_);
  KeyIndex* own = nullptr;  // the pipeline's keys; counted by the map, not by a COUNT(*) scan
  if (max_keys > 0) {
    auto loaded = key_index(pipeline, operation);
    if (!loaded) return loaded.error();
    own = *loaded;
  }
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  int rc = delete_expired(idempotency_, key_indexes_, to_unix_ms(now), limit, removed, dropped);
  if (rc == SQLITE_OK && own != nullptr) {
    std::size_t live = own->size();
    for (const auto& entry : dropped) live -= entry.first == own ? 1 : 0;
    if (live > max_keys) {
      rc = evict_oldest(db_.get(), idempotency_, pipeline, *own, live - max_keys, removed, dropped);
    }
  }
  if (rc != SQLITE_OK) return abort_transaction(rc, operation);
  if (Status committed = commit(operation); !committed) return committed.error();
  for (const auto& [index, fingerprint] : dropped) index->erase(fingerprint);
  return removed;
}

}  // namespace weft::state

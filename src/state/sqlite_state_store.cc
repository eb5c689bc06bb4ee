// The embedded state store (DESIGN.md §5): one SQLite file in WAL mode. Opening, configuring
// and migrating the file, and the transaction plumbing every table shares.

#include "state/sqlite_state_store.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "state/migrations.h"
#include "state/migrator.h"
#include "state/sqlite_handle.h"
#include "state/state_store.h"

namespace weft {
namespace state {

std::string for_pipeline(std::string_view operation, const std::string& pipeline) {
  return std::string(operation) + " for pipeline '" + pipeline + "'";
}

Result<TransactionStatements> TransactionStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto begin_read = state::prepare(db, "BEGIN", kFlags, "prepare begin");
  if (!begin_read) return begin_read.error();
  auto begin_write = state::prepare(db, "BEGIN IMMEDIATE", kFlags, "prepare begin immediate");
  if (!begin_write) return begin_write.error();
  auto commit = state::prepare(db, "COMMIT", kFlags, "prepare commit");
  if (!commit) return commit.error();
  auto rollback = state::prepare(db, "ROLLBACK", kFlags, "prepare rollback");
  if (!rollback) return rollback.error();
  return TransactionStatements{std::move(*begin_read), std::move(*begin_write), std::move(*commit),
                               std::move(*rollback)};
}

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::create(std::string path, Database db,
                                                                   int schema_version) {
  auto transactions = TransactionStatements::prepare(db.get());
  if (!transactions) return transactions.error();
  auto checkpoints = CheckpointStatements::prepare(db.get());
  if (!checkpoints) return checkpoints.error();
  auto dead_letters = DeadLetterStatements::prepare(db.get());
  if (!dead_letters) return dead_letters.error();
  auto idempotency = IdempotencyStatements::prepare(db.get());
  if (!idempotency) return idempotency.error();
  auto crosswalk = CrosswalkStatements::prepare(db.get());
  if (!crosswalk) return crosswalk.error();
  auto webhooks = WebhookStatements::prepare(db.get());
  if (!webhooks) return webhooks.error();
  auto processed = ProcessedObjectStatements::prepare(db.get());
  if (!processed) return processed.error();
  return std::unique_ptr<SqliteStateStore>(
      new SqliteStateStore(std::move(path), std::move(db), schema_version, std::move(*transactions),
                           std::move(*checkpoints), std::move(*dead_letters),
                           std::move(*idempotency), std::move(*crosswalk), std::move(*webhooks),
                           std::move(*processed)));
}

SqliteStateStore::SqliteStateStore(std::string path, Database db, int schema_version,
                                   TransactionStatements transactions,
                                   CheckpointStatements checkpoints,
                                   DeadLetterStatements dead_letters,
                                   IdempotencyStatements idempotency, CrosswalkStatements crosswalk,
                                   WebhookStatements webhooks,
                                   ProcessedObjectStatements processed)
    : path_(std::move(path)),
      schema_version_(schema_version),
      db_(std::move(db)),
      transactions_(std::move(transactions)),
      checkpoints_(std::move(checkpoints)),
      dead_letters_(std::move(dead_letters)),
      idempotency_(std::move(idempotency)),
      crosswalk_(std::move(crosswalk)),
      webhooks_(std::move(webhooks)),
      processed_(std::move(processed)) {}

Error SqliteStateStore::failure(int rc, std::string_view operation) {
  return state::make_error(db_.get(), rc, operation).with_context("state store " + path_);
}

Error SqliteStateStore::located(Error error) const {
  return error.with_context("state store " + path_);
}

int SqliteStateStore::begin_read() {
  StatementUse use(transactions_.begin_read.get());
  return sqlite3_step(use.get());
}

int SqliteStateStore::begin_write() {
  // IMMEDIATE takes the write lock now, waiting up to the busy timeout, rather than failing with
  // SQLITE_BUSY at the first write, when waiting no longer helps.
  StatementUse use(transactions_.begin_write.get());
  return sqlite3_step(use.get());
}

Status SqliteStateStore::commit(std::string_view operation) {
  int rc = SQLITE_OK;
  {
    StatementUse use(transactions_.commit.get());
    rc = sqlite3_step(use.get());
    if (rc == SQLITE_DONE) return Status::ok_status();
  }
  return abort_transaction(rc, operation);
}

Error SqliteStateStore::abort_transaction(int rc, std::string_view operation) {
  Error error = failure(rc, operation);
  rollback();
  return error;
}

void SqliteStateStore::rollback() {
  // SQLite may already have rolled back (after an I/O error or a full disk).
  if (sqlite3_get_autocommit(db_.get()) != 0) return;
  StatementUse use(transactions_.rollback.get());
  if (const int rc = sqlite3_step(use.get()); rc != SQLITE_DONE) {
    // Nothing better to do: the next begin fails and reports the connection's state.
    spdlog::error("state store {}: rollback failed: {}", path_, state::describe(db_.get(), rc));
  }
}

}  // namespace state

namespace {

using state::Database;
using state::Statement;

// Errors while opening: problems with the file itself are the configuration's to fix.
Error open_error(sqlite3* db, int rc, std::string_view operation) {
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return Error::invalid_config(
          "the file is not a weft state database (SQLite: " + state::describe(db, rc) + ")");
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Error::invalid_config(std::string(operation) + ": " + state::describe(db, rc));
    default:
      return state::make_error(db, rc, operation);
  }
}

Status create_parent_directories(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::ok_status();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Error::invalid_config("cannot create directory " + parent.string() + ": " +
                                 ec.message());
  }
  return Status::ok_status();
}

Result<Database> open_connection(const std::string& path) {
  // FULLMUTEX as a second line of defence; the store's own mutex is what makes the cached
  // statements safe to share. EXRESCODE: extended codes in errors (e.g. SQLITE_IOERR_FSYNC).
  constexpr int kFlags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, kFlags, nullptr);
  Database db(raw);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) return open_error(db.get(), rc, "cannot open");
  // SQLite falls back to read-only when the file exists but cannot be opened for writing.
  if (sqlite3_db_readonly(db.get(), "main") == 1) {
    return Error::invalid_config("cannot write: the file is read-only to this process");
  }
  return db;
}

Status configure(sqlite3* db, const SqliteStateStoreOptions& options) {
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));

  // Refuse a file that is not ours before changing anything in it. This first read of the file
  // header is where a file that is not a database at all fails.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &raw, nullptr);
  Statement user_version(raw);
  if (rc == SQLITE_OK) rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) return open_error(db, rc, "read schema version");
  if (auto ours = state::check_is_weft_database(db, sqlite3_column_int64(raw, 0)); !ours) {
    return ours.error();
  }
  user_version.reset();

  rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &raw, nullptr);
  Statement journal_mode(raw);
  if (rc == SQLITE_OK) rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) return open_error(db, rc, "enable WAL");
  // The pragma answers with the mode now in force; a file system without shared memory support
  // keeps the old one.
  if (const std::string mode = state::column_string(raw, 0); mode != "wal") {
    return Error::invalid_config("enable WAL: the journal mode stayed '" + mode + "'");
  }
  journal_mode.reset();

  // FULL: every commit fsyncs the WAL, so a returned save survives power loss, not only a crash.
  rc = sqlite3_exec(db, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return open_error(db, rc, "set synchronous = FULL");
  return Status::ok_status();
}

Error at(const Error& error, const std::string& path) {
  Error located = error;
  located.with_context("state store " + path);
  return located;
}

}  // namespace

Result<std::unique_ptr<StateStore>> open_sqlite_state_store(const std::string& path) {
  return open_sqlite_state_store(path, SqliteStateStoreOptions{});
}

Result<std::unique_ptr<StateStore>> open_sqlite_state_store(
    const std::string& path, const SqliteStateStoreOptions& options) {
  if (path.empty()) return Error::invalid_config("state store: the path is empty");
  if (auto created = create_parent_directories(path); !created) return at(created.error(), path);
  auto db = open_connection(path);
  if (!db) return at(db.error(), path);
  if (auto configured = configure(db->get(), options); !configured) {
    return at(configured.error(), path);
  }

  auto migrated = state::migrate(db->get(), state::migrations());
  if (!migrated) return at(migrated.error(), path);
  if (migrated->from_version != migrated->to_version) {
    spdlog::info("state store {}: schema migrated from version {} to {}", path,
                 migrated->from_version, migrated->to_version);
  }

  auto store = state::SqliteStateStore::create(path, std::move(*db), migrated->to_version);
  if (!store) return at(store.error(), path);
  auto reader = open_connection(path);
  if (!reader) return at(reader.error(), path);
  sqlite3_busy_timeout(reader->get(), static_cast<int>(options.busy_timeout.count()));
  if (auto opened = (*store)->open_reader(std::move(*reader)); !opened) return opened.error();
  return std::unique_ptr<StateStore>(std::move(*store));
}

}  // namespace weft

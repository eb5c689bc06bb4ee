// The embedded state store (DESIGN.md §5): one SQLite file in WAL mode.

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
namespace {

using state::Database;
using state::Statement;
using state::StatementUse;

constexpr std::string_view kLoadSql =
    "SELECT position, updated_at FROM checkpoints WHERE pipeline = ?1";
constexpr std::string_view kSaveSql =
    "INSERT INTO checkpoints (pipeline, position, updated_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (pipeline) DO UPDATE SET position = excluded.position, "
    "updated_at = excluded.updated_at";
constexpr std::string_view kListSql =
    "SELECT pipeline, position, updated_at FROM checkpoints ORDER BY pipeline";
constexpr std::string_view kDeleteSql = "DELETE FROM checkpoints WHERE pipeline = ?1";

std::int64_t to_unix_ms(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

Clock::time_point from_unix_ms(std::int64_t ms) {
  return Clock::time_point(std::chrono::milliseconds(ms));
}

// Binds `text` without copying: the caller keeps it alive until the StatementUse ends.
int bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  return sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

// The prepared statements the store reuses on every call.
struct CheckpointStatements {
  Statement load;
  Statement save;
  Statement list;
  Statement remove;
};

Result<CheckpointStatements> prepare_checkpoint_statements(sqlite3* db) {
  // PERSISTENT: these live as long as the connection.
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

// Thread-safety: one connection behind one mutex. Every call holds the mutex for a whole
// statement use (bind, step, reset), which the cached statements need anyway. That serialises
// writers, and each save waits for its own fsync; that is fine for checkpoints, written at most a
// few times per second per pipeline. The higher-rate stores that come later (idempotency keys,
// the webhook buffer) want a writer thread with group commit instead.
class SqliteStateStore final : public StateStore {
 public:
  SqliteStateStore(std::string path, Database db, CheckpointStatements statements, int version)
      : path_(std::move(path)),
        schema_version_(version),
        db_(std::move(db)),
        statements_(std::move(statements)) {}

  Result<std::optional<Checkpoint>> load_checkpoint(const std::string& pipeline) override {
    std::lock_guard lock(mutex_);
    StatementUse use(statements_.load.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc == SQLITE_DONE) return std::optional<Checkpoint>();
    if (rc != SQLITE_ROW) return failure(rc, "load checkpoint", pipeline);
    return std::optional<Checkpoint>(Checkpoint{pipeline, state::column_string(use.get(), 0),
                                                from_unix_ms(sqlite3_column_int64(use.get(), 1))});
  }

  Status save_checkpoint(const std::string& pipeline, const Position& position) override {
    const std::int64_t now = to_unix_ms(Clock::now());
    std::lock_guard lock(mutex_);
    StatementUse use(statements_.save.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = bind_text(use.get(), 2, position);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(use.get(), 3, now);
    // In autocommit mode the step is its own transaction: with WAL and synchronous=FULL, DONE
    // means the commit record is fsynced to the WAL.
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) return failure(rc, "save checkpoint", pipeline);
    return Status::ok_status();
  }

  Result<std::vector<Checkpoint>> list_checkpoints() override {
    std::lock_guard lock(mutex_);
    StatementUse use(statements_.list.get());
    std::vector<Checkpoint> checkpoints;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
      checkpoints.push_back(Checkpoint{state::column_string(use.get(), 0),
                                       state::column_string(use.get(), 1),
                                       from_unix_ms(sqlite3_column_int64(use.get(), 2))});
    }
    if (rc != SQLITE_DONE) {
      return state::make_error(db_.get(), rc, "list checkpoints").with_context(where());
    }
    return checkpoints;
  }

  Status delete_checkpoint(const std::string& pipeline) override {
    std::lock_guard lock(mutex_);
    StatementUse use(statements_.remove.get());
    int rc = bind_text(use.get(), 1, pipeline);
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) return failure(rc, "delete checkpoint", pipeline);
    return Status::ok_status();
  }

  int schema_version() const override { return schema_version_; }

 private:
  std::string where() const { return "state store " + path_; }

  // Call with mutex_ held: the message is the connection's last error.
  Error failure(int rc, std::string_view operation, const std::string& pipeline) {
    return state::make_error(db_.get(), rc,
                             std::string(operation) + " for pipeline '" + pipeline + "'")
        .with_context(where());
  }

  const std::string path_;
  const int schema_version_;
  std::mutex mutex_;
  Database db_;                      // guarded by mutex_
  CheckpointStatements statements_;  // guarded by mutex_; destroyed before db_
};

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

  auto statements = prepare_checkpoint_statements(db->get());
  if (!statements) return at(statements.error(), path);
  std::unique_ptr<StateStore> store = std::make_unique<SqliteStateStore>(
      path, std::move(*db), std::move(*statements), migrated->to_version);
  return store;
}

}  // namespace weft

#include "state/migrator.h"

#include <cstdint>
#include <optional>
#include <string>

#include "state/sqlite_handle.h"

namespace weft::state {
namespace {

// A BEGIN IMMEDIATE transaction (the write lock is taken up front, so two processes migrating the
// same file serialise instead of failing at commit) that rolls back unless committed.
class WriteTransaction {
 public:
  explicit WriteTransaction(sqlite3* db) : db_(db) {}
  ~WriteTransaction() {
    // A failed COMMIT may already have rolled back; only roll back what is still open.
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  Status begin() { return exec(db_, "BEGIN IMMEDIATE", "begin write transaction"); }
  Status commit(std::string_view operation) { return exec(db_, "COMMIT", operation); }

 private:
  sqlite3* db_;
};

Result<std::int64_t> query_int(sqlite3* db, const char* sql, std::string_view operation) {
  auto stmt = prepare(db, sql, 0, operation);
  if (!stmt) return stmt.error();
  const int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) return make_error(db, rc, operation);
  return sqlite3_column_int64(stmt->get(), 0);
}

Status check_numbering(std::span<const Migration> list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].version != static_cast<int>(i) + 1) {
      return Error::permanent("migration list is malformed: entry " + std::to_string(i + 1) +
                              " ('" + std::string(list[i].name) + "') has version " +
                              std::to_string(list[i].version));
    }
  }
  return Status::ok_status();
}

std::string set_version_sql(int version) {
  return "PRAGMA user_version = " + std::to_string(version);
}

}  // namespace

Status check_is_weft_database(sqlite3* db, std::int64_t user_version) {
  auto application_id = query_int(db, "PRAGMA application_id", "read application id");
  if (!application_id) return application_id.error();
  if (*application_id == kWeftApplicationId) return Status::ok_status();
  bool foreign = *application_id != 0 || user_version != 0;
  if (!foreign) {
    auto objects = query_int(db, "SELECT count(*) FROM sqlite_schema", "read schema");
    if (!objects) return objects.error();
    foreign = *objects != 0;
  }
  if (!foreign) return Status::ok_status();
  return Error::invalid_config(
      "the file is not a weft state database (it is another program's SQLite database)");
}

Result<MigrationOutcome> migrate(sqlite3* db, std::span<const Migration> list) {
  if (auto numbered = check_numbering(list); !numbered) return numbered.error();
  const int latest = static_cast<int>(list.size());
  std::optional<int> from;

  // One transaction per pass: apply the next pending migration, or probe-write and finish.
  for (;;) {
    WriteTransaction txn(db);
    if (auto begun = txn.begin(); !begun) return begun.error();

    auto version = query_int(db, "PRAGMA user_version", "read schema version");
    if (!version) return version.error();
    if (auto weft = check_is_weft_database(db, *version); !weft) return weft.error();
    if (*version > latest) {
      return Error::invalid_config("written by a newer weft (schema " + std::to_string(*version) +
                                   ", this build knows " + std::to_string(latest) + ")");
    }
    if (!from) from = static_cast<int>(*version);

    if (*version == latest) {
      // Rewriting the version is a real write (page 1 goes to the WAL and is fsynced at commit).
      const std::string operation = "check the file is writable";
      if (auto probed = exec(db, set_version_sql(latest).c_str(), operation); !probed) {
        return probed.error();
      }
      if (auto committed = txn.commit(operation); !committed) return committed.error();
      return MigrationOutcome{*from, latest};
    }

    const Migration& next = list[static_cast<std::size_t>(*version)];
    const std::string operation =
        "apply migration " + std::to_string(next.version) + " (" + std::string(next.name) + ")";
    if (auto applied = exec(db, std::string(next.sql).c_str(), operation); !applied) {
      return applied.error();
    }
    if (*version == 0) {
      const std::string stamp = "PRAGMA application_id = " + std::to_string(kWeftApplicationId);
      if (auto stamped = exec(db, stamp.c_str(), operation); !stamped) return stamped.error();
    }
    if (auto bumped = exec(db, set_version_sql(next.version).c_str(), operation); !bumped) {
      return bumped.error();
    }
    if (auto committed = txn.commit(operation); !committed) return committed.error();
  }
}

}  // namespace weft::state

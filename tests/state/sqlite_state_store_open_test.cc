// Opening the SQLite state store: what start-up creates, and how it refuses paths and files it
// cannot use.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include "state/migrations.h"
#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

using state_test::RawDatabase;
using state_test::TempDir;

// Opens `path` expecting a failure; returns it ("" and a test failure when the open succeeds).
Error open_failure(const std::string& path) {
  auto store = open_sqlite_state_store(path);
  EXPECT_FALSE(store.ok()) << path << " opened";
  return store.ok() ? Error::permanent("") : store.error();
}

TEST(SqliteStateStoreOpen, CreatesMissingParentDirectories) {
  TempDir dir;
  const std::string path = dir.file("a/b/c/state.db");
  auto store = open_sqlite_state_store(path);
  ASSERT_TRUE(store.ok()) << store.error().message();
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST(SqliteStateStoreOpen, FreshDatabaseEndsAtLatestSchemaInWalMode) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto store = open_sqlite_state_store(path);
    ASSERT_TRUE(store.ok()) << store.error().message();
    EXPECT_EQ((*store)->schema_version(), state::latest_schema_version());
  }
  RawDatabase raw(path);
  EXPECT_EQ(raw.query("PRAGMA user_version"), std::to_string(state::latest_schema_version()));
  EXPECT_EQ(raw.query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.query("PRAGMA application_id"), std::to_string(state::kWeftApplicationId));
  EXPECT_EQ(raw.query("SELECT name FROM sqlite_schema WHERE name = 'checkpoints'"), "checkpoints");
}

TEST(SqliteStateStoreOpen, DatabaseFromNewerWeftIsRefusedAndLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  ASSERT_TRUE(open_sqlite_state_store(path).ok());
  const int newer = state::latest_schema_version() + 5;
  RawDatabase(path).exec("PRAGMA user_version = " + std::to_string(newer));

  const Error error = open_failure(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(error.message(), "state store " + path + ": written by a newer weft (schema " +
                                 std::to_string(newer) + ", this build knows " +
                                 std::to_string(state::latest_schema_version()) + ")");
  EXPECT_EQ(RawDatabase(path).query("PRAGMA user_version"), std::to_string(newer));
}

TEST(SqliteStateStoreOpen, PathUnderARegularFileFailsNamingPathAndReason) {
  TempDir dir;
  state_test::write_file(dir.file("file.txt"), "not a directory\n");
  const std::string path = dir.file("file.txt/db");
  const Error error = open_failure(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(error.message(), "state store " + path + ": cannot create directory " +
                                 dir.file("file.txt") + ": Not a directory");
}

TEST(SqliteStateStoreOpen, DirectoryThatRefusesNewFilesFailsNamingPath) {
  // /proc/self exists, but no one (root included) can create a file in it.
  const std::string path = "/proc/self/weft-state.db";
  const Error error = open_failure(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(error.message().rfind("state store " + path + ": cannot open: unable to open", 0), 0u)
      << error.message();
}

TEST(SqliteStateStoreOpen, PathThatIsADirectoryFailsNamingPath) {
  TempDir dir;
  const Error error = open_failure(dir.path().string());
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(error.message().rfind("state store " + dir.path().string() + ": cannot open: ", 0), 0u)
      << error.message();
}

TEST(SqliteStateStoreOpen, EmptyPathIsAConfigurationError) {
  const Error error = open_failure("");
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(error.message(), "state store: the path is empty");
}

// RLIMIT_FSIZE = 0 makes every file write fail, which a root test run cannot get from chmod.
TEST(SqliteStateStoreOpen, UnwritableNewDatabaseFailsAtOpen) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  const auto child = state_test::run_in_child([&] {
    state_test::limit_file_size(0);
    auto store = open_sqlite_state_store(path);
    return store.ok() ? std::string("opened") : store.error().message();
  });
  ASSERT_TRUE(WIFEXITED(child.wait_status)) << child.output;
  EXPECT_EQ(child.output.rfind("state store " + path + ": ", 0), 0u) << child.output;
  EXPECT_NE(child.output.find("File too large"), std::string::npos) << child.output;
}

TEST(SqliteStateStoreOpen, UnwritableExistingDatabaseFailsAtOpenNotAtFirstSave) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto store = open_sqlite_state_store(path);
    ASSERT_TRUE(store.ok()) << store.error().message();
    ASSERT_TRUE((*store)->save_checkpoint("orders", "1").ok());
  }
  const auto child = state_test::run_in_child([&] {
    state_test::limit_file_size(0);
    auto store = open_sqlite_state_store(path);
    return store.ok() ? std::string("opened") : store.error().message();
  });
  ASSERT_TRUE(WIFEXITED(child.wait_status)) << child.output;
  EXPECT_EQ(child.output, "state store " + path +
                              ": read schema version: disk I/O error (WAL index (-shm): File too "
                              "large)");
}

TEST(SqliteStateStoreOpen, OpenProbesWritesEvenWithNoMigrationPending) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  ASSERT_TRUE(open_sqlite_state_store(path).ok());
  // Another connection keeps the WAL index (-shm) in place, so the child gets through every read
  // and only a real write can fail.
  RawDatabase other(path);
  ASSERT_EQ(other.query("SELECT count(*) FROM checkpoints"), "0");
  const auto child = state_test::run_in_child([&] {
    state_test::limit_file_size(0);
    auto store = open_sqlite_state_store(path);
    return store.ok() ? std::string("opened") : store.error().message();
  });
  ASSERT_TRUE(WIFEXITED(child.wait_status)) << child.output;
  EXPECT_EQ(child.output,
            "state store " + path + ": check the file is writable: disk I/O error (write)");
}

TEST(SqliteStateStoreOpen, FileThatIsNotADatabaseFailsClearlyAndIsLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  const std::string contents(600, 'x');  // more than the 100-byte header SQLite checks
  state_test::write_file(path, contents);
  const Error error = open_failure(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(error.message(), "state store " + path +
                                 ": the file is not a weft state database (SQLite: file is not a "
                                 "database)");
  EXPECT_EQ(state_test::read_file(path), contents);
}

TEST(SqliteStateStoreOpen, AnotherProgramsSqliteDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE users (id INTEGER)", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const Error error = open_failure(path);
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(error.message(), "state store " + path +
                                 ": the file is not a weft state database (it is another "
                                 "program's SQLite database)");
  RawDatabase raw(path);
  EXPECT_EQ(raw.query("PRAGMA journal_mode"), "delete");  // not switched to WAL
  EXPECT_EQ(raw.query("SELECT count(*) FROM sqlite_schema"), "1");
}

}  // namespace
}  // namespace weft

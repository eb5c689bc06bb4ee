// Upgrading a state database written by an older weft: it opens, gains the new tables and keeps
// what it held.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "state/migrations.h"
#include "state/migrator.h"
#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

using namespace std::chrono_literals;
using state_test::RawDatabase;
using state_test::TempDir;

// A database as weft with only the first migration (checkpoints) left it.
void create_version_1_database(const std::string& path) {
  state_test::write_file(path, "");  // an empty file is an empty SQLite database
  RawDatabase raw(path);
  raw.exec("PRAGMA journal_mode = WAL");
  auto migrated = state::migrate(raw.get(), state::migrations().first(1));
  ASSERT_TRUE(migrated.ok()) << migrated.error().message();
  ASSERT_EQ(migrated->to_version, 1);
  raw.exec(
      "INSERT INTO checkpoints (pipeline, position, updated_at) "
      "VALUES ('orders', '0/16B3748', 1795000000000)");
}

TEST(SqliteSchemaUpgrade, Version1DatabaseGainsDeadLettersAndKeysAndKeepsItsCheckpoints) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  ASSERT_NO_FATAL_FAILURE(create_version_1_database(path));

  auto store = state_test::open_store_or_fail(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), state::latest_schema_version());
  EXPECT_EQ(RawDatabase(path).query("PRAGMA user_version"),
            std::to_string(state::latest_schema_version()));

  auto checkpoint = store->load_checkpoint("orders");
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  EXPECT_EQ((*checkpoint)->position, "0/16B3748");
  EXPECT_EQ((*checkpoint)->updated_at, Clock::time_point(1'795'000'000'000ms));

  DeadLetter letter;
  letter.pipeline = "orders";
  letter.stage = "sink";
  letter.error_kind = "permanent";
  letter.error = "rejected";
  letter.record.value = Payload::from_text("{}");
  std::vector<DeadLetter> letters{letter};
  ASSERT_TRUE(store->add_dead_letters(letters).ok());
  auto count = store->count_dead_letters("orders");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1u);

  const auto now = Clock::now();
  ASSERT_TRUE(store->remember_keys("orders", {"k"}, now + 1h).ok());
  auto found = store->find_keys("orders", {"k"}, now);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::vector<bool>{true});
}

// Version 4 replaced the idempotency_keys table with a log of key fingerprints. Keys recorded
// by a version 3 weft are forgotten (migrations.cc says why); the database keeps working.
TEST(SqliteSchemaUpgrade, Version3DatabaseForgetsItsKeysAndRecordsNewOnes) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  state_test::write_file(path, "");
  {
    RawDatabase raw(path);
    raw.exec("PRAGMA journal_mode = WAL");
    auto migrated = state::migrate(raw.get(), state::migrations().first(3));
    ASSERT_TRUE(migrated.ok()) << migrated.error().message();
    raw.exec(
        "INSERT INTO idempotency_keys (pipeline, key, expires_at) "
        "VALUES ('orders', 'old', 4102444800000)");  // 2100
  }

  auto store = state_test::open_store_or_fail(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), state::latest_schema_version());
  const auto now = Clock::now();
  auto found = store->find_keys("orders", {"old"}, now);
  ASSERT_TRUE(found.ok()) << found.error().message();
  EXPECT_EQ(*found, std::vector<bool>{false});
  ASSERT_TRUE(store->remember_keys("orders", {"new"}, now + 1h).ok());
  found = store->find_keys("orders", {"new"}, now);
  ASSERT_TRUE(found.ok()) << found.error().message();
  EXPECT_EQ(*found, std::vector<bool>{true});
}

// Version 6 added the crosswalk table; a version 5 database gains it and keeps its dead letters.
TEST(SqliteSchemaUpgrade, Version5DatabaseGainsCrosswalks) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  state_test::write_file(path, "");
  {
    RawDatabase raw(path);
    raw.exec("PRAGMA journal_mode = WAL");
    auto migrated = state::migrate(raw.get(), state::migrations().first(5));
    ASSERT_TRUE(migrated.ok()) << migrated.error().message();
    raw.exec(
        "INSERT INTO checkpoints (pipeline, position, updated_at) "
        "VALUES ('orders', '0/16B3748', 1795000000000)");
  }

  auto store = state_test::open_store_or_fail(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), state::latest_schema_version());
  EXPECT_GE(state::latest_schema_version(), 6);
  auto checkpoint = store->load_checkpoint("orders");
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  auto created = store->crosswalk_find_or_create("customer", "stripe", "cus_1", "c-1");
  ASSERT_TRUE(created.ok()) << created.error().message();
  EXPECT_EQ(*created, "c-1");
  auto found = store->crosswalk_reverse("customer", "c-1", "stripe");
  ASSERT_TRUE(found.ok()) << found.error().message();
  EXPECT_EQ(*found, std::optional<std::string>("cus_1"));
}

}  // namespace
}  // namespace weft

// The migration runner against an in-memory database, with made-up migration lists.

#include "state/migrator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "state/migrations.h"
#include "state/state_test_support.h"

namespace weft::state {
namespace {

class MigratorTest : public ::testing::Test {
 protected:
  MigratorTest() : raw_(":memory:") {}

  std::string query(const std::string& sql) { return raw_.query(sql); }
  sqlite3* db() { return raw_.get(); }

  state_test::RawDatabase raw_;
};

constexpr Migration kCreateA{1, "create a", "CREATE TABLE a (x INTEGER);"};
constexpr Migration kCreateB{2, "create b", "CREATE TABLE b (y TEXT); INSERT INTO b VALUES ('b');"};

bool has_table(state_test::RawDatabase& raw, const std::string& name) {
  return raw.query("SELECT count(*) FROM sqlite_schema WHERE name = '" + name + "'") == "1";
}

TEST(Migrations, AreNumberedFromOneWithoutGaps) {
  const auto list = migrations();
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(latest_schema_version(), static_cast<int>(list.size()));
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].version, static_cast<int>(i) + 1) << list[i].name;
    EXPECT_FALSE(list[i].sql.empty()) << list[i].name;
  }
}

TEST_F(MigratorTest, FreshDatabaseGetsEveryMigrationAndWeftsStamp) {
  auto outcome = migrate(db(), migrations());
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  EXPECT_EQ(outcome->from_version, 0);
  EXPECT_EQ(outcome->to_version, latest_schema_version());
  EXPECT_EQ(query("PRAGMA user_version"), std::to_string(latest_schema_version()));
  EXPECT_EQ(query("PRAGMA application_id"), std::to_string(kWeftApplicationId));
  EXPECT_TRUE(has_table(raw_, "checkpoints"));
}

TEST_F(MigratorTest, AppendedMigrationRunsOnTheNextOpenOnly) {
  const std::vector<Migration> v1{kCreateA};
  const std::vector<Migration> v2{kCreateA, kCreateB};
  ASSERT_TRUE(migrate(db(), v1).ok());
  raw_.exec("INSERT INTO a VALUES (42)");

  auto outcome = migrate(db(), v2);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  EXPECT_EQ(outcome->from_version, 1);
  EXPECT_EQ(outcome->to_version, 2);
  EXPECT_EQ(query("SELECT x FROM a"), "42");  // migration 1 did not run again
  EXPECT_EQ(query("SELECT y FROM b"), "b");

  auto again = migrate(db(), v2);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->from_version, 2);
  EXPECT_EQ(query("SELECT count(*) FROM b"), "1");
}

TEST_F(MigratorTest, FailedMigrationIsRolledBackWhole) {
  const Migration broken{2, "broken", "CREATE TABLE c (z); INSERT INTO no_such_table VALUES (1);"};
  const std::vector<Migration> list{kCreateA, broken};
  auto outcome = migrate(db(), list);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(outcome.error().message(), "apply migration 2 (broken): no such table: no_such_table");
  EXPECT_EQ(query("PRAGMA user_version"), "1");  // migration 1 committed on its own
  EXPECT_TRUE(has_table(raw_, "a"));
  EXPECT_FALSE(has_table(raw_, "c"));  // the half of migration 2 that worked is gone too

  const std::vector<Migration> fixed{kCreateA, kCreateB};
  auto retried = migrate(db(), fixed);
  ASSERT_TRUE(retried.ok()) << retried.error().message();
  EXPECT_EQ(retried->from_version, 1);
  EXPECT_EQ(retried->to_version, 2);
}

TEST_F(MigratorTest, NewerSchemaIsRefused) {
  ASSERT_TRUE(migrate(db(), std::vector<Migration>{kCreateA, kCreateB}).ok());
  auto outcome = migrate(db(), std::vector<Migration>{kCreateA});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(outcome.error().message(), "written by a newer weft (schema 2, this build knows 1)");
  EXPECT_EQ(query("PRAGMA user_version"), "2");
}

TEST_F(MigratorTest, MisnumberedListIsRefusedBeforeTouchingTheDatabase) {
  const Migration skipped{3, "create b", "CREATE TABLE b (y);"};
  auto outcome = migrate(db(), std::vector<Migration>{kCreateA, skipped});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message(),
            "migration list is malformed: entry 2 ('create b') has version 3");
  EXPECT_FALSE(has_table(raw_, "a"));
}

TEST_F(MigratorTest, OtherProgramsDatabaseIsRefused) {
  raw_.exec("PRAGMA user_version = 7");
  auto outcome = migrate(db(), migrations());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(outcome.error().message(),
            "the file is not a weft state database (it is another program's SQLite database)");
  EXPECT_FALSE(has_table(raw_, "checkpoints"));
}

}  // namespace
}  // namespace weft::state

// The warehouse sink against a real PostgreSQL (started by the test) and a SQLite file: what a
// user sees in the table after each load, what is dead-lettered and why, and the position the
// warehouse keeps for exactly-once restarts.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/postgres_server.h"
#include "warehouse/warehouse_sink_fixture.h"

namespace weft::warehouse {
namespace {

TEST_P(WarehouseSinkTest, AppendCreatesTheTableFromTheRecordsAndAddsEveryRecord) {
  config_.plan.mode = WriteMode::kAppend;
  config_.plan.key.clear();
  auto sink = connected_sink();
  auto result = write(*sink, {rec({{"id", 1}, {"name", "ada"}, {"score", 1.5}}, "p1"),
                              rec({{"id", 1}, {"name", "ada"}, {"score", 2.5}}, "p2"),
                              rec({{"id", 2}, {"name", "bob"}, {"vip", true}}, "p3")});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(sql("SELECT id, name, score FROM customers ORDER BY id, score"),
            (Rows{{"1", "ada", "1.5"}, {"1", "ada", "2.5"}, {"2", "bob", "NULL"}}));
  EXPECT_EQ(sql("SELECT count(*) FROM customers WHERE _loaded_at IS NOT NULL"), (Rows{{"3"}}));
  EXPECT_EQ(stored(*sink), "p3");
}

TEST_P(WarehouseSinkTest, MergeKeepsOnlyTheLatestVersionOfEachKeyInABatch) {
  auto sink = connected_sink();
  auto result = write(*sink, {rec({{"id", 7}, {"tier", "bronze"}}, "p1"),
                              rec({{"id", 8}, {"tier", "silver"}}, "p2"),
                              rec({{"id", 7}, {"tier", "silver"}}, "p3"),
                              rec({{"id", 7}, {"tier", "gold"}}, "p4")});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_EQ(sql("SELECT id, tier FROM customers ORDER BY id"),
            (Rows{{"7", "gold"}, {"8", "silver"}}));
  write(*sink, {rec({{"id", 8}, {"tier", "platinum"}}, "p5")});
  EXPECT_EQ(sql("SELECT id, tier FROM customers ORDER BY id"),
            (Rows{{"7", "gold"}, {"8", "platinum"}}));
}

TEST_P(WarehouseSinkTest, DeletesRemoveRowsAndSoftDeletesMarkThem) {
  auto sink = connected_sink();
  write(*sink, {rec({{"id", 1}, {"name", "a"}}, "p1"), rec({{"id", 2}, {"name", "b"}}, "p2")});
  Record gone = rec(nullptr, "p3", Operation::kDelete);
  gone.before = Payload::from_json({{"id", 1}, {"name", "a"}});
  write(*sink, {gone});
  EXPECT_EQ(sql("SELECT id FROM customers"), (Rows{{"2"}}));

  config_.plan.table = "soft";
  config_.plan.deletes = DeleteHandling::kSoftDelete;
  auto soft = connected_sink();
  write(*soft, {rec({{"id", 1}, {"name", "a"}}, "s1"), rec({{"id", 2}, {"name", "b"}}, "s2")});
  write(*soft, {rec({{"id", 1}}, "s3", Operation::kDelete)});
  EXPECT_EQ(sql("SELECT id, name, _deleted_at IS NOT NULL FROM soft ORDER BY id"),
            (Rows{{"1", "a", postgres() ? "t" : "1"}, {"2", "b", postgres() ? "f" : "0"}}));
  write(*soft, {rec({{"id", 1}, {"name", "back"}}, "s4")});
  EXPECT_EQ(sql("SELECT id, name, _deleted_at FROM soft WHERE id = 1"),
            (Rows{{"1", "back", "NULL"}}));
}

TEST_P(WarehouseSinkTest, RowsWhoseValuesDidNotChangeAreNotRewritten) {
  auto sink = connected_sink();
  write(*sink, {rec({{"id", 1}, {"name", "a"}}, "p1"), rec({{"id", 2}, {"name", "b"}}, "p2")});
  // Counts row versions: PostgreSQL's xmin changes with every rewrite; SQLite gets a trigger.
  if (!postgres()) {
    sql("CREATE TABLE updates (n INTEGER); INSERT INTO updates VALUES (0); CREATE TRIGGER count "
        "AFTER UPDATE ON customers BEGIN UPDATE updates SET n = n + 1; END");
  }
  const auto before = postgres() ? sql("SELECT id, xmin FROM customers ORDER BY id") : Rows{};
  write(*sink, {rec({{"id", 1}, {"name", "a"}}, "p3"), rec({{"id", 2}, {"name", "c"}}, "p4")});
  EXPECT_EQ(sql("SELECT id, name FROM customers ORDER BY id"), (Rows{{"1", "a"}, {"2", "c"}}));
  if (postgres()) {
    const auto after = sql("SELECT id, xmin FROM customers ORDER BY id");
    EXPECT_EQ(after[0], before[0]) << "the unchanged row was rewritten";
    EXPECT_NE(after[1], before[1]);
  } else {
    EXPECT_EQ(sql("SELECT n FROM updates"), (Rows{{"1"}}));
  }
}

TEST_P(WarehouseSinkTest, NewFieldsBecomeNewColumns) {
  auto sink = connected_sink();
  write(*sink, {rec({{"id", 1}, {"name", "a"}}, "p1")});
  auto result = write(*sink, {rec({{"id", 2}, {"name", "b"}, {"lifetime_value", 12.5}}, "p2")});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_EQ(sql("SELECT id, name, lifetime_value FROM customers ORDER BY id"),
            (Rows{{"1", "a", "NULL"}, {"2", "b", "12.5"}}));
}

TEST_P(WarehouseSinkTest, ATypeConflictDeadLettersTheRecordNamingColumnAndTypes) {
  auto sink = connected_sink();
  write(*sink, {rec({{"id", 1}, {"age", 30}}, "p1")});
  auto result = write(*sink, {rec({{"id", 2}, {"age", 31}}, "p2"),
                              rec({{"id", 3}, {"age", "thirty"}}, "p3"),
                              rec({{"id", 4}, {"age", "32"}}, "p4")});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].index, 1u);
  EXPECT_FALSE(result.failures[0].error.retryable());
  EXPECT_EQ(result.failures[0].error.message(),
            "column \"age\" is bigint: value \"thirty\" (text) does not fit a bigint column");
  EXPECT_EQ(sql("SELECT id, age FROM customers ORDER BY id"),
            (Rows{{"1", "30"}, {"2", "31"}, {"4", "32"}}));
}

TEST_P(WarehouseSinkTest, ARecordWithoutItsKeyIsDeadLettered) {
  auto sink = connected_sink();
  auto result = write(*sink, {rec({{"name", "nobody"}}, "p1"), rec({{"id", 5}}, "p2")});
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].error.message(), "no value for primary key column \"id\"");
  EXPECT_EQ(sql("SELECT id FROM customers"), (Rows{{"5"}}));
}

TEST_P(WarehouseSinkTest, ATableWithoutTheKeyColumnRejectsRecordsNamingIt) {
  sql("CREATE TABLE customers (name text)");
  auto sink = connected_sink();
  auto result = write(*sink, {rec({{"id", 1}, {"name", "a"}}, "p1")});
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_NE(result.failures[0].error.message().find("has no column \"id\", its primary_key"),
            std::string::npos)
      << result.failures[0].error.message();
}

TEST_P(WarehouseSinkTest, RowsTheDatabaseRejectsAreSplitOutAndTheRestIsLoaded) {
  config_.plan.mode = WriteMode::kAppend;
  config_.plan.key.clear();
  sql("CREATE TABLE customers (id bigint, amount double precision CHECK (amount >= 0), "
      "_loaded_at timestamptz)");
  auto sink = connected_sink();
  Batch batch;
  for (int i = 0; i < 10; ++i) {
    const int amount = i == 3 || i == 7 ? -1 : i;
    batch.push_back(rec({{"id", i}, {"amount", amount}}, "p" + std::to_string(i)));
  }
  auto result = write(*sink, batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  ASSERT_EQ(result.failures.size(), 2u);
  EXPECT_EQ(result.failures[0].index, 3u);
  EXPECT_EQ(result.failures[1].index, 7u);
  EXPECT_NE(result.failures[0].error.message().find("rejected the row"), std::string::npos);
  EXPECT_EQ(sql("SELECT count(*), sum(id) FROM customers"), (Rows{{"8", "35"}}));
  // The position stops before the first rejected record (it is dead-lettered after the load
  // commits); the records loaded past it are listed, so a replay skips them.
  EXPECT_EQ(stored(*sink), "p2");
  EXPECT_EQ(sql("SELECT position, applied FROM _weft_checkpoints WHERE pipeline = 'crm'"),
            (Rows{{"p2", R"(["p4","p5","p6","p8","p9"])"}}));

  // A restart replays from p2: the loaded records are skipped, the rejected ones come again.
  auto restarted = connected_sink();
  EXPECT_EQ(stored(*restarted), "p2");
  Batch replay(batch.begin() + 3, batch.end());
  result = write(*restarted, replay);
  EXPECT_EQ(result.failures.size(), 2u);
  EXPECT_EQ(sql("SELECT count(*), sum(id) FROM customers"), (Rows{{"8", "35"}}));
  EXPECT_EQ(stored(*restarted), "p2");  // p3 is dead-lettered only after this load

  // While the runtime dead-letters p3 it may checkpoint p2, the record before it: the records
  // loaded past p3 stay listed.
  ASSERT_TRUE(run_coroutine(restarted->commit("p2")).ok());
  EXPECT_EQ(sql("SELECT position, applied FROM _weft_checkpoints WHERE pipeline = 'crm'"),
            (Rows{{"p2", R"(["p4","p5","p6","p8","p9"])"}}));
  // Once p3 and p7 are settled, the runtime's checkpoint clears the list.
  ASSERT_TRUE(run_coroutine(restarted->commit("p9")).ok());
  EXPECT_EQ(sql("SELECT position, applied FROM _weft_checkpoints"), (Rows{{"p9", "[]"}}));
}

TEST_P(WarehouseSinkTest, TheStoredPositionSurvivesARestartAndFollowsCommits) {
  auto sink = connected_sink();
  EXPECT_EQ(stored(*sink), "(none)");
  write(*sink, {rec({{"id", 1}}, "lsn-1"), rec({{"id", 2}}, "lsn-2")});
  EXPECT_EQ(stored(*connected_sink()), "lsn-2");
  // Filtered records settle without reaching the sink; the runtime's checkpoint covers them.
  ASSERT_TRUE(run_coroutine(sink->commit("lsn-9")).ok());
  EXPECT_EQ(stored(*connected_sink()), "lsn-9");
  // Replayed dead letters carry no position and do not move it.
  write(*sink, {rec({{"id", 3}}, "")});
  EXPECT_EQ(stored(*connected_sink()), "lsn-9");
  EXPECT_EQ(sql("SELECT count(*) FROM customers"), (Rows{{"3"}}));
}

TEST_P(WarehouseSinkTest, HostileIdentifiersAndValuesAreInert) {
  config_.plan.table = "t\"; DROP TABLE victim; --";
  sql("CREATE TABLE victim (x int)");
  auto sink = connected_sink();
  const std::string evil = "'); DROP TABLE victim; --";
  auto result = write(*sink, {rec({{"id", 1}, {"na\"me; DROP TABLE victim", evil}}, "p1")});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(sql("SELECT count(*) FROM victim"), (Rows{{"0"}}));
  EXPECT_EQ(sql("SELECT \"na\"\"me; DROP TABLE victim\" FROM \"t\"\"; DROP TABLE victim; --\""),
            (Rows{{evil}}));
}

TEST_P(WarehouseSinkTest, FieldsNamedLikeWeftsStagingColumnsAreRejected) {
  auto sink = connected_sink();
  auto result = write(*sink, {rec({{"id", 1}, {"_weft_op", "x"}}, "p1")});
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_NE(result.failures[0].error.message().find("field \"_weft_op\" cannot be a column"),
            std::string::npos);
}

TEST_P(WarehouseSinkTest, FreezeDeadLettersRecordsWithNewFields) {
  config_.evolution = SchemaEvolution::kFreeze;
  auto sink = connected_sink();
  write(*sink, {rec({{"id", 1}, {"name", "a"}}, "p1")});  // creates the table
  auto result = write(*sink, {rec({{"id", 2}, {"name", "b"}, {"extra", 1}}, "p2")});
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_NE(result.failures[0].error.message().find("\"extra\" is not a column"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Dialects, WarehouseSinkTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(WarehouseSinkPostgresTest, AConnectionLostMidLoadRollsBackAndTheRetryLoadsOnce) {
  auto& pg = test::PostgresServer::shared();
  pg.create_database("wh_lost");
  // Each insert statement takes a second: time to cut the connection in the middle of a load.
  pg.execute(
      "CREATE TABLE events (id bigint, _loaded_at timestamptz);"
      "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;"
      "CREATE TRIGGER slow AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION slow()",
      "wh_lost");
  WarehouseConfig config;
  config.dialect = "postgres";
  config.dsn = pg.conninfo("wh_lost");
  config.plan.table = "events";
  config.plan.mode = WriteMode::kAppend;
  ConnectorContext ctx;
  ctx.pipeline = "events";
  boost::asio::io_context io;
  auto run = [&io](auto op) {
    std::optional<typename decltype(op)::value_type> out;
    boost::asio::co_spawn(io, weft::testing::detail::store_result(std::move(op), &out),
                          boost::asio::detached);
    io.restart();
    io.run();
    return std::move(*out);
  };
  auto sink = make_warehouse_sink(config, ctx);
  ASSERT_TRUE(run(sink->connect()).ok());
  Batch batch;
  for (int i = 1; i <= 100; ++i) batch.push_back(rec({{"id", i}}, std::to_string(i)));

  std::thread cutter([&pg] {
    const std::string loading =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'weft-warehouse' AND "
        "query LIKE 'INSERT INTO%' AND state = 'active'";
    for (int i = 0; i < 500 && pg.scalar(loading) == "0"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
               "'weft-warehouse'");
  });
  WriteResult cut = run(sink->write_batch(batch));
  cutter.join();
  ASSERT_FALSE(cut.status.ok());
  EXPECT_TRUE(cut.status.error().retryable()) << cut.status.error().message();
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM events", "wh_lost"), "0");

  WriteResult retried = run(sink->write_batch(batch));
  ASSERT_TRUE(retried.status.ok()) << retried.status.error().message();
  EXPECT_EQ(pg.scalar("SELECT count(*) || ' ' || count(DISTINCT id) FROM events", "wh_lost"),
            "100 100");
  EXPECT_EQ(pg.scalar("SELECT position FROM _weft_checkpoints", "wh_lost"), "100");
}

TEST(WarehouseSinkPostgresTest, AnUnreachableServerIsARetryableFailureWithoutItsPassword) {
  WarehouseConfig config;
  config.dialect = "postgres";
  config.dsn = "host=127.0.0.1 port=1 dbname=x password=hunter2 connect_timeout=2";
  config.plan.table = "t";
  auto sink = make_warehouse_sink(config, ConnectorContext{});
  Status s = weft::testing::run_coroutine(sink->connect());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().retryable());
  EXPECT_EQ(s.error().message().find("hunter2"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace weft::warehouse

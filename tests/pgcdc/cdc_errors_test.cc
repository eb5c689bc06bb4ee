// The postgres_cdc source's errors for what users get wrong: each one says what to run.

#include "pgcdc/cdc_source_fixture.h"

namespace weft::pgcdc {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(CdcSourceTest, AUserWithoutReplicationGetsTheGrantToRun) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  pg().create_login_role("no_repl");
  Status s = start("tables: [public.t]\n", std::nullopt, pg().conninfo(db_, "no_repl"));
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_TRUE(contains(s.error().message(), "ALTER ROLE <user> WITH REPLICATION"))
      << s.error().message();
}

TEST_F(CdcSourceTest, AMissingTableIsNamedWithTheClosestOne) {
  sql("CREATE TABLE customers (id int PRIMARY KEY)");
  Status s = start("tables: [public.customer]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_TRUE(contains(s.error().message(), "public.customer does not exist"))
      << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), "did you mean public.customers?"));
}

TEST_F(CdcSourceTest, AMissingPublicationWithAutocreateDisabledShowsTheStatement) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  Status s = start("tables: [public.t]\npublication: {name: pub, autocreate: disabled}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "CREATE PUBLICATION \"pub\" FOR TABLE"))
      << s.error().message();
}

TEST_F(CdcSourceTest, ASlotInUseElsewhereIsRetriedWithTheHolderNamed) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  ASSERT_TRUE(start("tables: [public.t]\nsnapshot: {mode: never}\n").ok());
  (void)read_idle(1);  // streaming: the slot is active
  auto second = make_source("tables: [public.t]\nsnapshot: {mode: never}\n");
  ASSERT_TRUE(second);
  Status s = run(second->connect(std::nullopt));
  run(second->close());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().retryable());
  EXPECT_TRUE(contains(s.error().message(), "is in use by another client")) << s.error().message();
}

TEST_F(CdcSourceTest, AMissingSlotAfterStreamingIsNeverSilentlyResnapshotted) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  Status s = start("tables: [public.t]\n", Position("lsn:0/1A2B3C4:0"));
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_TRUE(contains(s.error().message(), "weft_cdc does not exist")) << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), "DELETE FROM checkpoints WHERE pipeline = 'cdc'"));
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_replication_slots"), "0");
}

TEST_F(CdcSourceTest, AnInvalidatedSlotSaysChangesWereLost) {
  sql("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE filler (pad text)");
  pg().execute("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  pg().execute("SELECT pg_reload_conf()");
  Status created = start("tables: [public.t]\nsnapshot: {mode: never}\n");
  ASSERT_TRUE(created.ok()) << created.error().message();
  close_source();
  // Far more WAL than the slot may keep, then checkpoints: the server invalidates it.
  for (int i = 0; i < 3; ++i) {
    sql("INSERT INTO filler SELECT repeat('x', 2000) FROM generate_series(1, 10000); "
        "SELECT pg_switch_wal()");
    pg().execute("CHECKPOINT");
  }
  ASSERT_EQ(scalar("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'weft_cdc'"),
            "lost");
  Status s = start("tables: [public.t]\nsnapshot: {mode: never}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_TRUE(contains(s.error().message(), "was invalidated")) << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), "pg_drop_replication_slot('weft_cdc')"));
}

TEST_F(CdcSourceTest, WalLevelReplicaGetsTheAlterSystemToRun) {
  test::PostgresServer own;
  own.start();
  own.execute("ALTER SYSTEM SET wal_level = replica");
  own.stop();
  own.start();
  own.execute("CREATE TABLE t (id int PRIMARY KEY)");
  Status s = start("tables: [public.t]\n", std::nullopt, own.conninfo("postgres"));
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_TRUE(contains(s.error().message(), "ALTER SYSTEM SET wal_level = logical"))
      << s.error().message();
}

TEST_F(CdcSourceTest, TlsSettingsTheServerCannotMeetFailWithoutRetrying) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  // The test cluster has no TLS: `sslmode=require` can never be met.
  Status s = start("tables: [public.t]\n", std::nullopt, pg().conninfo(db_) + " sslmode=require");
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_TRUE(contains(s.error().message(), "SSL")) << s.error().message();
}

TEST_F(CdcSourceTest, TheDsnPasswordNeverAppearsInErrors) {
  Status s = start("tables: [public.t]\n", std::nullopt,
                   "host=127.0.0.1 port=1 user=x password=hunter2-secret connect_timeout=2");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().retryable());
  EXPECT_FALSE(contains(s.error().message(), "hunter2")) << s.error().message();
}

}  // namespace
}  // namespace weft::pgcdc

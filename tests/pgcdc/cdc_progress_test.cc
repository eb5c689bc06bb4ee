// What the postgres_cdc source confirms to its slot and how it resumes: LSNs only after the
// pipeline committed, restarts inside a transaction, a lost connection, a resumed snapshot, an
// idle slot that must not pin WAL.

#include "pgcdc/cdc_position.h"
#include "pgcdc/cdc_source_fixture.h"

namespace weft::pgcdc {
namespace {

constexpr const char* kStreamOnly = "tables: [public.t]\nsnapshot: {mode: never}\n";

// True when the slot's confirmed position lies in [from, to) (text LSNs; empty: unbounded).
std::string confirmed_between(const std::string& from, const std::string& to) {
  std::string sql = "SELECT (confirmed_flush_lsn >= '" + from + "'::pg_lsn";
  if (!to.empty()) sql += " AND confirmed_flush_lsn < '" + to + "'::pg_lsn";
  return sql + ")::text FROM pg_replication_slots WHERE slot_name = 'weft_cdc'";
}

TEST_F(CdcSourceTest, ConfirmsATransactionOnlyOnceItsRecordsAreCommitted) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  ASSERT_TRUE(start(kStreamOnly).ok());
  for (int i = 1; i <= 3; ++i) sql("INSERT INTO t VALUES (" + std::to_string(i) + ")");
  auto changes = read(3);
  ASSERT_EQ(changes.size(), 3u);
  const auto lsn = [&](int i) { return changes[i].headers.at("_lsn"); };
  // Delivered but not committed: nothing of them is confirmed, however long we wait.
  (void)read_idle(8);
  EXPECT_EQ(scalar(confirmed_between(lsn(0), "")), "false") << confirmed_flush();

  ASSERT_TRUE(commit(changes[1].position).ok());
  EXPECT_TRUE(eventually([&] { return scalar(confirmed_between(lsn(1), lsn(2))) == "true"; }))
      << confirmed_flush();
  ASSERT_TRUE(commit(changes[2].position).ok());
  EXPECT_TRUE(eventually([&] { return scalar(confirmed_between(lsn(2), "")) == "true"; }))
      << confirmed_flush();
}

TEST_F(CdcSourceTest, ARestartInsideATransactionResumesAfterTheLastCommittedRecord) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  ASSERT_TRUE(start(kStreamOnly).ok());
  sql("INSERT INTO t VALUES (1)");
  sql("INSERT INTO t SELECT generate_series(2, 11)");  // ten rows, one transaction
  auto changes = read(11);
  ASSERT_EQ(changes.size(), 11u);
  ASSERT_TRUE(commit(changes[5].position).ok());  // the 5th row of the big transaction
  close_source();
  // The slot was told about the first transaction only: the server re-sends the second one,
  // and the source skips the rows delivered before the restart.
  EXPECT_EQ(scalar(confirmed_between(changes[0].headers.at("_lsn"), changes[1].headers.at("_lsn"))),
            "true");
  ASSERT_TRUE(start(kStreamOnly, changes[5].position).ok());
  sql("INSERT INTO t VALUES (12)");
  auto resumed = read(6);
  ASSERT_EQ(resumed.size(), 6u);
  for (std::size_t i = 0; i < resumed.size(); ++i) {
    EXPECT_EQ(resumed[i].key, std::to_string(i + 7));
    if (i < 5) {
      EXPECT_EQ(resumed[i].position, changes[i + 6].position);  // the same ids as before
    }
  }
  EXPECT_EQ(read_idle(), 0u);
}

TEST_F(CdcSourceTest, ALostConnectionResumesWithoutLosingOrRepeatingChanges) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  ASSERT_TRUE(start(kStreamOnly).ok());
  sql("INSERT INTO t SELECT generate_series(1, 100)");
  auto before = read(100);
  ASSERT_EQ(before.size(), 100u);
  ASSERT_TRUE(commit(before[49].position).ok());
  sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = "
      "'weft_cdc'");
  sql("INSERT INTO t SELECT generate_series(101, 150)");
  auto after = read(50);
  ASSERT_EQ(after.size(), 50u);
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].key, std::to_string(i + 101));
  EXPECT_FALSE(errors_.empty());  // the broken stream was reported (the runtime backs off)
  EXPECT_NE(metrics().find("weft_cdc_stream_restarts_total{pipeline=\"cdc\"} 1"),
            std::string::npos);
}

TEST_F(CdcSourceTest, AnInterruptedSnapshotResumesAtItsTableAndKey) {
  sql("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id text PRIMARY KEY)");
  sql("INSERT INTO a SELECT generate_series(1, 100); "
      "INSERT INTO b SELECT lpad(g::text, 4, '0') FROM generate_series(1, 100) g");
  const std::string block = "tables: [public.a, public.b]\nsnapshot: {chunk_size: 30}\n";
  ASSERT_TRUE(start(block).ok());
  auto first = read(130, 50);
  ASSERT_EQ(first.size(), 130u);
  EXPECT_EQ(first[129].headers.at("_table"), "public.b");
  EXPECT_EQ(first[129].key, "0030");
  close_source();

  ASSERT_TRUE(start(block, first[129].position).ok());
  auto rest = read(70, 50);
  ASSERT_EQ(rest.size(), 70u);
  EXPECT_EQ(rest.front().key, "0031");
  EXPECT_EQ(rest.back().key, "0100");
  // Then it streams from the slot made at the first start.
  sql("INSERT INTO a VALUES (101)");
  auto streamed = read(1);
  ASSERT_EQ(streamed.size(), 1u);
  EXPECT_EQ(streamed[0].op, Operation::kCreate);
  EXPECT_EQ(streamed[0].key, "101");
}

TEST_F(CdcSourceTest, TheSlotIsKeptUnlessDropOnStopAndAllTablesPublishesEverything) {
  sql("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE u (id int PRIMARY KEY)");
  ASSERT_TRUE(start("snapshot: {mode: never}\npublication: {autocreate: all_tables}\n").ok());
  EXPECT_EQ(scalar("SELECT puballtables::text FROM pg_publication WHERE pubname = 'weft_cdc'"),
            "true");
  sql("INSERT INTO u VALUES (1)");
  auto changes = read(1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].headers.at("_table"), "public.u");
  close_source();
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_replication_slots"), "1");  // kept by default

  ASSERT_TRUE(start("snapshot: {mode: never}\npublication: {autocreate: all_tables}\n"
                    "slot: {drop_on_stop: true}\n")
                  .ok());
  (void)read_idle(1);
  close_source();
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_replication_slots"), "0");
}

TEST_F(CdcSourceTest, InitialOnlyCopiesTheTablesAndFinishesWithoutASlot) {
  sql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 42)");
  ASSERT_TRUE(start("tables: [public.t]\nsnapshot: {mode: initial_only}\n").ok());
  auto rows = read(1000);
  EXPECT_EQ(rows.size(), 42u);
  EXPECT_TRUE(source_->finished());
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_replication_slots"), "0");
}

TEST_F(CdcSourceTest, AnIdleOrFilteredSlotDoesNotPinWal) {
  sql("CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE other (id int, pad text)");
  ASSERT_TRUE(start(kStreamOnly).ok());
  sql("INSERT INTO t VALUES (1)");
  auto changes = read(1);
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_TRUE(commit(changes[0].position).ok());
  // 8 MB of WAL on a table outside the publication: nothing to deliver, but the slot must
  // still move past it.
  sql("INSERT INTO other SELECT g, repeat('x', 1000) FROM generate_series(1, 8000) g");
  const std::string lag =
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint < 65536 "
      "FROM pg_replication_slots WHERE slot_name = 'weft_cdc'";
  EXPECT_TRUE(eventually([&] { return scalar(lag) == "t"; })) << scalar(
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) FROM "
      "pg_replication_slots");
}

}  // namespace
}  // namespace weft::pgcdc

namespace weft::pgcdc {
namespace {

TEST_F(CdcSourceTest, SlotLagAndStatusAreMeasuredAndAnOverLimitLagMakesTheSourceUnhealthy) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  ASSERT_TRUE(start("tables: [public.t]\nsnapshot: {mode: never}\nstatus_interval: 100ms\n"
                    "max_lag: 1KiB\n")
                  .ok());
  EXPECT_TRUE(source_->health().healthy);
  sql("INSERT INTO t SELECT generate_series(1, 2000)");
  auto changes = read(2000);
  ASSERT_EQ(changes.size(), 2000u);
  // Delivered, not committed: the slot keeps the WAL, and says so.
  EXPECT_TRUE(eventually([&] { return !source_->health().healthy; })) << metrics();
  EXPECT_NE(source_->health().reason.find("over max_lag 1024"), std::string::npos)
      << source_->health().reason;
  EXPECT_NE(metrics().find("weft_cdc_slot_wal_status{pipeline=\"cdc\",wal_status=\"reserved\"} 1"),
            std::string::npos);
  EXPECT_EQ(metrics().find("weft_cdc_slot_retained_wal_bytes{pipeline=\"cdc\"} 0\n"),
            std::string::npos);
  // What the freshness SLO's `when: source_active` sees: an unconfirmed transaction.
  ASSERT_TRUE(eventually([&] { return source_->backlog()->pending > 0; }));
  EXPECT_TRUE(source_->backlog()->age.has_value());
  ASSERT_TRUE(commit(changes.back().position).ok());
  // The server moves restart_lsn at its next running-transactions record; a checkpoint writes one.
  EXPECT_TRUE(eventually([&] {
    pg().execute("CHECKPOINT");
    return source_->health().healthy;
  })) << source_->health().reason;
  EXPECT_TRUE(eventually([&] {
    return metrics().find("weft_cdc_replication_lag_seconds{pipeline=\"cdc\"} 0\n") !=
           std::string::npos;
  }));
  EXPECT_EQ(source_->backlog()->pending, 0u) << "everything confirmed: no backlog";
}

TEST_F(CdcSourceTest, ASlotLeftInactiveWhileStreamingMakesTheSourceUnhealthy) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  ASSERT_TRUE(start("tables: [public.t]\nsnapshot: {mode: never}\nstatus_interval: 100ms\n").ok());
  (void)read_idle(1);  // streaming
  sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots");
  // Nobody reads (as when the pipeline is stuck): the monitor notices on its own.
  bool unhealthy = false;
  for (int i = 0; i < 100 && !unhealthy; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    unhealthy = !source_->health().healthy;
  }
  ASSERT_TRUE(unhealthy);
  EXPECT_NE(source_->health().reason.find("weft_cdc is inactive"), std::string::npos)
      << source_->health().reason;
  EXPECT_TRUE(eventually([&] { return source_->health().healthy; }));  // reads reconnect
}

TEST_F(CdcSourceTest, AHeartbeatQueryUpdatesAHeartbeatTableWhoseChangesFlow) {
  sql("CREATE TABLE beats (id int PRIMARY KEY, n int); INSERT INTO beats VALUES (1, 0)");
  ASSERT_TRUE(start("tables: [public.beats]\nsnapshot: {mode: never}\n"
                    "heartbeat: {interval: 100ms, query: 'UPDATE beats SET n = n + 1'}\n")
                  .ok());
  auto beats = read(3);
  ASSERT_EQ(beats.size(), 3u);
  EXPECT_EQ(value(beats[2])["op"], "u");
  EXPECT_GT(value(beats[2])["after"]["n"].get<int>(), value(beats[0])["after"]["n"].get<int>());
}

TEST_F(CdcSourceTest, MessagesBecomeRecordsWhenAskedAndHeartbeatsNever) {
  sql("CREATE TABLE t (id int PRIMARY KEY)");
  ASSERT_TRUE(start("tables: [public.t]\nsnapshot: {mode: never}\ninclude_messages: true\n"
                    "heartbeat: {interval: 100ms}\nstatus_interval: 100ms\n")
                  .ok());
  const std::string wal_before = scalar("SELECT pg_current_wal_lsn()::text");
  sql("SELECT pg_logical_emit_message(true, 'app', 'hello')");
  auto records = read(1);
  ASSERT_EQ(records.size(), 1u);
  json message = value(records[0]);
  EXPECT_EQ(message["op"], "m");
  EXPECT_EQ(message["message"]["prefix"], "app");
  EXPECT_EQ(message["message"]["content"], "hello");
  // Heartbeats write WAL (so a quiet database's slot can advance) but are never delivered.
  EXPECT_TRUE(eventually(
      [&] { return scalar("SELECT pg_current_wal_lsn() > '" + wal_before + "'::pg_lsn") == "t"; }));
  EXPECT_EQ(read_idle(4), 0u);
}

}  // namespace
}  // namespace weft::pgcdc

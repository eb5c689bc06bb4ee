// The postgres_cdc source against a real PostgreSQL: snapshot then stream, the change formats,
// before-images, TOAST, shared LSNs, schema changes, restarts and LSN confirmation.

#include <set>

#include "pgcdc/cdc_position.h"
#include "pgcdc/cdc_source_fixture.h"

namespace weft::pgcdc {
namespace {

constexpr const char* kCustomers =
    "CREATE TABLE customers (id int PRIMARY KEY, name text, email text, score numeric(8,2))";

TEST_F(CdcSourceTest, SnapshotsTheTableThenStreamsInsertsUpdatesDeletesAndTruncates) {
  sql(kCustomers);
  sql("INSERT INTO customers SELECT g, 'name ' || g, 'c' || g || '@example.com', g * 1.5 "
      "FROM generate_series(1, 250) g");
  ASSERT_TRUE(start("tables: [public.customers]\nsnapshot: {chunk_size: 100}\n").ok());

  auto snapshot = read(250, 64);
  ASSERT_EQ(snapshot.size(), 250u);
  for (std::size_t i = 0; i < snapshot.size(); ++i) {
    EXPECT_EQ(snapshot[i].op, Operation::kSnapshot);
    EXPECT_EQ(snapshot[i].key, std::to_string(i + 1));  // primary-key order
  }
  json first = value(snapshot[0]);
  EXPECT_EQ(first["op"], "r");
  EXPECT_EQ(first["after"],
            (json{{"id", 1}, {"name", "name 1"}, {"email", "c1@example.com"}, {"score", "1.50"}}));
  EXPECT_EQ(first["source"]["table"], "customers");
  EXPECT_EQ(first["source"]["snapshot"], "true");
  // The next read sees the end of the table, ends the snapshot's transaction (which holds its
  // tables' share locks, so a TRUNCATE would wait for it) and starts streaming.
  EXPECT_EQ(read_idle(1), 0u);

  sql("INSERT INTO customers VALUES (251, 'new', NULL, 0)");
  sql("UPDATE customers SET name = 'renamed' WHERE id = 7");
  sql("DELETE FROM customers WHERE id = 8");
  sql("TRUNCATE customers");
  auto changes = read(4);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(value(changes[0])["op"], "c");
  EXPECT_EQ(value(changes[0])["after"]["id"], 251);
  EXPECT_EQ(value(changes[0])["before"], nullptr);
  EXPECT_EQ(changes[0].op, Operation::kCreate);
  EXPECT_EQ(value(changes[1])["op"], "u");
  EXPECT_EQ(value(changes[1])["after"]["name"], "renamed");
  EXPECT_EQ(changes[1].key, "7");
  EXPECT_EQ(value(changes[2])["op"], "d");
  EXPECT_EQ(value(changes[2])["before"], (json{{"id", 8}}));  // the key: REPLICA IDENTITY DEFAULT
  EXPECT_EQ(value(changes[2])["after"], nullptr);
  EXPECT_EQ(changes[2].op, Operation::kDelete);
  EXPECT_EQ(value(changes[3])["op"], "t");
  for (const auto& c : changes) {
    EXPECT_EQ(value(c)["source"]["snapshot"], "false");
    EXPECT_EQ(c.headers.at("_table"), "public.customers");
    EXPECT_FALSE(c.headers.at("_lsn").empty());
    EXPECT_EQ(c.id, c.position);
  }
  // Each statement was its own transaction: four commit LSNs, increasing.
  std::set<std::string> lsns;
  for (const auto& c : changes) lsns.insert(c.headers.at("_lsn"));
  EXPECT_EQ(lsns.size(), 4u);
  EXPECT_NE(metrics().find("weft_cdc_snapshot_rows_total{pipeline=\"cdc\",table=\"public."
                           "customers\"} 250"),
            std::string::npos);
}

TEST_F(CdcSourceTest, ConvertsCommonTypesToJson) {
  sql("CREATE TYPE mood AS ENUM ('sad', 'happy')");
  sql("CREATE TABLE typed (id bigint PRIMARY KEY, small smallint, flag boolean, price "
      "numeric(12,4), ratio float8, label varchar(20), code char(3), uid uuid, doc jsonb, "
      "raw json, at timestamp, at_tz timestamptz, day date, clock time, bytes bytea, "
      "ints int[], words text[], feeling mood)");
  const std::string row =
      "(1, -3, true, 12345678.9012, 0.25, 'hé \"quoted\"', 'ab', "
      "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}', '{\"b\":null}', "
      "'2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02', '2024-02-29', '23:59:59', "
      "'\\x68656c6c6f', '{1,NULL,3}', '{\"x y\",z}', 'happy')";
  sql("INSERT INTO typed VALUES " + row);
  ASSERT_TRUE(start("tables: [public.typed]\n").ok());
  auto snapshot = read(1);
  ASSERT_EQ(snapshot.size(), 1u);
  sql("INSERT INTO typed VALUES " + std::string(row).replace(1, 1, "2"));
  auto streamed = read(1);
  ASSERT_EQ(streamed.size(), 1u);
  // The snapshot (SELECT) and the stream (pgoutput) deliver the same JSON for the same row.
  json from_snapshot = value(snapshot[0])["after"];
  json from_stream = value(streamed[0])["after"];
  from_stream["id"] = 1;
  EXPECT_EQ(from_snapshot, from_stream);
  EXPECT_EQ(from_stream["small"], -3);
  EXPECT_EQ(from_stream["flag"], true);
  EXPECT_EQ(from_stream["price"], "12345678.9012");  // exact, as a string
  EXPECT_EQ(from_stream["ratio"], 0.25);
  EXPECT_EQ(from_stream["label"], "hé \"quoted\"");
  EXPECT_EQ(from_stream["code"], "ab ");
  EXPECT_EQ(from_stream["uid"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(from_stream["doc"], (json{{"a", {1, 2}}}));
  EXPECT_EQ(from_stream["raw"], (json{{"b", nullptr}}));
  EXPECT_EQ(from_stream["at"], "2024-01-02T03:04:05.123456");
  EXPECT_EQ(from_stream["at_tz"], "2024-01-02T01:04:05Z");
  EXPECT_EQ(from_stream["day"], "2024-02-29");
  EXPECT_EQ(from_stream["clock"], "23:59:59");
  EXPECT_EQ(from_stream["bytes"], "aGVsbG8=");
  EXPECT_EQ(from_stream["ints"], (json{1, nullptr, 3}));
  EXPECT_EQ(from_stream["words"], (json{"x y", "z"}));
  EXPECT_EQ(from_stream["feeling"], "happy");
  // The enum is not a built-in type: its name travels in the metadata.
  EXPECT_EQ(streamed[0].headers.at("_pg_types"), "feeling=public.mood");
  EXPECT_EQ(snapshot[0].headers.at("_pg_types"), "feeling=public.mood");
}

TEST_F(CdcSourceTest, ReplicaIdentityFullSendsWholeBeforeImagesDefaultOnlyTheKey) {
  sql("CREATE TABLE plain (id int PRIMARY KEY, v text); CREATE TABLE full_image (id int "
      "PRIMARY KEY, v text); ALTER TABLE full_image REPLICA IDENTITY FULL");
  sql("INSERT INTO plain VALUES (1, 'a'); INSERT INTO full_image VALUES (1, 'a')");
  ASSERT_TRUE(start("tables: [public.plain, public.full_image]\nsnapshot: {mode: never}\n").ok());
  sql("UPDATE plain SET v = 'b'; UPDATE full_image SET v = 'b'");
  sql("DELETE FROM plain; DELETE FROM full_image");
  auto changes = read(4);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(value(changes[0])["before"], nullptr);  // default identity, key unchanged
  EXPECT_EQ(value(changes[1])["before"], (json{{"id", 1}, {"v", "a"}}));
  EXPECT_EQ(value(changes[1])["after"], (json{{"id", 1}, {"v", "b"}}));
  EXPECT_EQ(value(changes[2])["before"], (json{{"id", 1}}));
  EXPECT_EQ(value(changes[3])["before"], (json{{"id", 1}, {"v", "b"}}));
  // The record carries the before-image itself too, for sinks that apply by the old row.
  EXPECT_FALSE(changes[0].before.has_value());
  ASSERT_TRUE(changes[3].before.has_value());
  EXPECT_EQ(json::parse(changes[3].before->text()), (json{{"id", 1}, {"v", "b"}}));
}

TEST_F(CdcSourceTest, AnUnchangedToastedValueIsNeverEmittedAsNull) {
  sql("CREATE TABLE docs (id int PRIMARY KEY, title text, body text); "
      "CREATE TABLE docs_full (id int PRIMARY KEY, title text, body text); "
      "ALTER TABLE docs_full REPLICA IDENTITY FULL");
  // Random text does not compress, so 20 kB of it is stored out of line (TOASTed).
  const std::string big =
      "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 600))";
  sql("INSERT INTO docs VALUES (1, 'first', " + big +
      "); INSERT INTO docs_full VALUES (1, "
      "'first', " +
      big + ")");
  ASSERT_TRUE(start("tables: [public.docs, public.docs_full]\nsnapshot: {mode: never}\n").ok());
  sql("UPDATE docs SET title = 'second'; UPDATE docs_full SET title = 'second'");
  auto changes = read(2);
  ASSERT_EQ(changes.size(), 2u);
  json plain = value(changes[0]);
  EXPECT_EQ(plain["after"]["title"], "second");
  EXPECT_FALSE(plain["after"].contains("body"));  // left out, not null
  EXPECT_EQ(plain["unchanged_toast"], (json{"body"}));
  EXPECT_EQ(changes[0].headers.at("_unchanged_toast"), "body");
  json full = value(changes[1]);
  EXPECT_EQ(full["after"]["body"].get<std::string>().size(), 19200u);  // from the before-image
  EXPECT_FALSE(full.contains("unchanged_toast"));
}

TEST_F(CdcSourceTest, RowsOfOneStatementShareTheCommitLsnAndKeepTheirOrder) {
  sql("CREATE TABLE items (id int PRIMARY KEY)");
  ASSERT_TRUE(start("tables: [public.items]\nsnapshot: {mode: never}\n").ok());
  sql("INSERT INTO items SELECT generate_series(1, 3000)");
  auto changes = read(3000, 700);
  ASSERT_EQ(changes.size(), 3000u);
  std::set<std::string> positions;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].key, std::to_string(i + 1));
    EXPECT_EQ(changes[i].headers.at("_lsn"), changes[0].headers.at("_lsn"));
    auto point = std::get<StreamPoint>(*parse_position(changes[i].position));
    EXPECT_EQ(point.seq, i);
    positions.insert(changes[i].position);
  }
  EXPECT_EQ(positions.size(), 3000u);
}

TEST_F(CdcSourceTest, AColumnAddedMidStreamAppearsInLaterChanges) {
  sql("CREATE TABLE evolving (id int PRIMARY KEY, a text)");
  ASSERT_TRUE(start("tables: [public.evolving]\nsnapshot: {mode: never}\n").ok());
  sql("INSERT INTO evolving VALUES (1, 'x')");
  sql("ALTER TABLE evolving ADD COLUMN b int DEFAULT 7");
  sql("INSERT INTO evolving VALUES (2, 'y', 9)");
  sql("ALTER TABLE evolving DROP COLUMN a");
  sql("INSERT INTO evolving VALUES (3, 10)");
  auto changes = read(3);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(value(changes[0])["after"], (json{{"id", 1}, {"a", "x"}}));
  EXPECT_EQ(value(changes[1])["after"], (json{{"id", 2}, {"a", "y"}, {"b", 9}}));
  EXPECT_EQ(value(changes[2])["after"], (json{{"id", 3}, {"b", 10}}));
}

TEST_F(CdcSourceTest, TheRowEnvelopeExcludedColumnsAndKeyOverrides) {
  sql("CREATE TABLE people (id int PRIMARY KEY, name text, ssn text); "
      "CREATE TABLE events (tenant int, seq int, what text)");
  ASSERT_TRUE(start("tables: [public.people, public.events]\nsnapshot: {mode: never}\n"
                    "envelope: row\nexclude_columns: [public.people.ssn]\n"
                    "keys: {public.events: 'tenant, seq'}\n")
                  .ok());
  sql("INSERT INTO people VALUES (1, 'Ada', '123-45-6789')");
  sql("DELETE FROM people");
  sql("INSERT INTO events VALUES (4, 2, 'signup')");
  auto changes = read(3);
  ASSERT_EQ(changes.size(), 3u);
  json created = value(changes[0]);
  EXPECT_EQ(created["name"], "Ada");
  EXPECT_FALSE(created.contains("ssn"));
  EXPECT_EQ(created["__op"], "c");
  EXPECT_EQ(created["__deleted"], false);
  EXPECT_EQ(created["__table"], "public.people");
  json deleted = value(changes[1]);
  EXPECT_EQ(deleted["__deleted"], true);
  EXPECT_EQ(deleted["id"], 1);
  EXPECT_EQ(changes[2].key, R"({"tenant":4,"seq":2})");
  for (const auto& c : changes) {
    EXPECT_EQ(c.value.text().find("123-45-6789"), std::string::npos) << c.value.text();
  }
}

TEST_F(CdcSourceTest, PartitionsFullIdentityAndGeneratedColumnsKeepTheTablesShape) {
  sql("CREATE TABLE sales (id int, region text, amount int, doubled int GENERATED ALWAYS AS "
      "(amount * 2) STORED, PRIMARY KEY (id, region)) PARTITION BY LIST (region); "
      "CREATE TABLE sales_eu PARTITION OF sales FOR VALUES IN ('eu'); "
      "CREATE TABLE sales_us PARTITION OF sales FOR VALUES IN ('us'); "
      "CREATE TABLE audited (id int PRIMARY KEY, v text); "
      "ALTER TABLE audited REPLICA IDENTITY FULL");
  sql("INSERT INTO sales VALUES (1, 'eu', 10); INSERT INTO audited VALUES (5, 'a')");
  ASSERT_TRUE(start("tables: [public.sales, public.audited]\n").ok());
  auto snapshot = read(2);
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(read_idle(1), 0u);
  sql("INSERT INTO sales VALUES (2, 'us', 20)");
  sql("UPDATE audited SET v = 'b'");
  auto changes = read(2);
  ASSERT_EQ(changes.size(), 2u);
  // A partition's change arrives under the partitioned table's name, shaped like its snapshot.
  EXPECT_EQ(changes[0].headers.at("_table"), "public.sales");
  EXPECT_EQ(changes[0].key, R"({"id":2,"region":"us"})");
  EXPECT_EQ(value(changes[0])["after"], (json{{"id", 2}, {"region", "us"}, {"amount", 20}}));
  EXPECT_EQ(value(snapshot[1])["after"], (json{{"id", 1}, {"region", "eu"}, {"amount", 10}}));
  // REPLICA IDENTITY FULL marks every column as the identity; the key is still the primary key.
  EXPECT_EQ(changes[1].key, "5");
  EXPECT_EQ(snapshot[0].key, "5");
  // ... and a change of it is a delete of the old row (whole, FULL) and a create of the new one.
  sql("UPDATE audited SET id = 6");
  auto moved = read(2);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(value(moved[0])["op"], "d");
  EXPECT_EQ(value(moved[0])["before"], (json{{"id", 5}, {"v", "b"}}));
  EXPECT_EQ(value(moved[1])["op"], "c");
  EXPECT_EQ(moved[1].key, "6");
}

TEST_F(CdcSourceTest, AnUpdateThatChangesTheKeyIsADeleteAndACreate) {
  sql("CREATE TABLE accounts (id int PRIMARY KEY, v text)");
  sql("INSERT INTO accounts VALUES (1, 'a')");
  ASSERT_TRUE(start("tables: [public.accounts]\nsnapshot: {mode: never}\n").ok());
  sql("UPDATE accounts SET id = 2");
  auto changes = read(2);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(value(changes[0])["op"], "d");
  EXPECT_EQ(changes[0].key, "1");
  EXPECT_EQ(value(changes[1])["op"], "c");
  EXPECT_EQ(changes[1].key, "2");
  EXPECT_EQ(value(changes[1])["after"], (json{{"id", 2}, {"v", "a"}}));
}

}  // namespace
}  // namespace weft::pgcdc

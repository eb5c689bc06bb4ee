// What a user of the `sql_query` source notices, against both PostgreSQL and SQLite: every row
// arrives once, changed rows arrive again, a restart resumes where the checkpoint says, and
// mistakes give errors that say what to fix.

#include <algorithm>
#include <set>

#include "sql_query/sql_query_fixture.h"

namespace weft::sql_query {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A table whose watermark is a version number (the same SQL in both dialects).
constexpr const char* kScores =
    "CREATE TABLE scores (id integer PRIMARY KEY, email text, score integer, version integer)";

std::string insert_scores(int from, int to, int version) {
  std::string sql;
  for (int i = from; i <= to; ++i) {
    sql += "INSERT INTO scores VALUES (" + std::to_string(i) + ", 'user" + std::to_string(i) +
           "@example.com', " + std::to_string(i * 10) + ", " + std::to_string(version) + ");";
  }
  return sql;
}

constexpr const char* kReadScores =
    "table: scores\nwatermark_column: version\nkey_column: id\npoll_interval: 1h\n";

TEST_P(SqlQuerySourceTest, ReadsEveryRowOnceThenOnlyRowsAddedSince) {
  sql(kScores);
  sql(insert_scores(1, 5, 1));
  ASSERT_TRUE(start(kReadScores).ok());
  auto first = drain();
  ASSERT_EQ(keys(first), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(value(first[2]), nlohmann::json::parse(
                                 R"({"id":3,"email":"user3@example.com","score":30,"version":1})"));
  EXPECT_EQ(first[2].headers.at("_table"), "scores");
  EXPECT_EQ(first[2].op, Operation::kNone);
  EXPECT_EQ(first[2].position, R"({"w":)" + std::string(postgres() ? "\"1\"" : "1") + R"(,"k":)" +
                                   (postgres() ? "\"3\"" : "3") + "}");

  sql(insert_scores(6, 7, 2));
  EXPECT_EQ(keys(poll()), (std::vector<std::string>{"6", "7"}));
  EXPECT_TRUE(poll().empty()) << "nothing new: nothing read";
}

TEST_P(SqlQuerySourceTest, RowsSharingAWatermarkAcrossPagesAreNeitherSkippedNorRepeated) {
  sql(kScores);
  // 23 rows with one watermark value, inserted out of key order, and a few after them.
  std::string inserts;
  for (int i :
       {17, 3, 22, 9, 1, 14, 6, 20, 11, 2, 19, 8, 5, 23, 13, 4, 16, 10, 21, 7, 15, 12, 18}) {
    inserts += insert_scores(i, i, 7);
  }
  sql(inserts + insert_scores(24, 26, 8) + insert_scores(27, 27, 5));
  ASSERT_TRUE(start(std::string(kReadScores) + "page_size: 4\n").ok());
  auto records = drain();
  std::vector<std::string> expected = {"27"};  // version 5 first
  for (int i = 1; i <= 26; ++i) expected.push_back(std::to_string(i));
  EXPECT_EQ(keys(records), expected);
  // The pipeline's batch size can be smaller than a page: the same rows, in more reads.
  ASSERT_TRUE(start(std::string(kReadScores) + "page_size: 10\n").ok());
  EXPECT_EQ(keys(drain(/*max_records=*/3)), expected);
}

TEST_P(SqlQuerySourceTest, ResumesStrictlyAfterTheCheckpoint) {
  sql(kScores);
  sql(insert_scores(1, 6, 1) + insert_scores(7, 9, 2));
  ASSERT_TRUE(start(std::string(kReadScores) + "page_size: 2\n").ok());
  auto records = drain();
  ASSERT_EQ(records.size(), 9u);
  const Position checkpoint = records[3].position;  // id 4: saved after the sink acked it
  close_source();

  sql(insert_scores(10, 10, 1));  // a late row in an old watermark, after id 4: it is read
  ASSERT_TRUE(start(std::string(kReadScores) + "page_size: 2\n", checkpoint).ok());
  EXPECT_EQ(keys(drain()), (std::vector<std::string>{"5", "6", "10", "7", "8", "9"}));
}

TEST_P(SqlQuerySourceTest, ARowUpdatedBetweenPollsIsReadAgainWithItsNewValues) {
  sql(kScores);
  sql(insert_scores(1, 3, 1));
  ASSERT_TRUE(start(kReadScores).ok());
  ASSERT_EQ(drain().size(), 3u);

  sql("UPDATE scores SET score = 99, version = 2 WHERE id = 2");
  auto changed = poll();
  ASSERT_EQ(keys(changed), (std::vector<std::string>{"2"}));
  EXPECT_EQ(value(changed[0])["score"], 99);
  EXPECT_NE(changed[0].id, "") << "a row version has an idempotency id";

  sql("UPDATE scores SET score = 100, version = 3 WHERE id = 2");
  auto again = poll();
  ASSERT_EQ(keys(again), (std::vector<std::string>{"2"}));
  EXPECT_EQ(value(again[0])["score"], 100);
  EXPECT_NE(again[0].id, changed[0].id) << "a new version of the row is not a duplicate";
}

TEST_P(SqlQuerySourceTest, InitialWatermarkStartsAtThatValueInclusive) {
  sql(kScores);
  sql(insert_scores(1, 2, 1) + insert_scores(3, 4, 2) + insert_scores(5, 5, 3));
  ASSERT_TRUE(start(std::string(kReadScores) + "initial_watermark: '2'\n").ok());
  EXPECT_EQ(keys(drain()), (std::vector<std::string>{"3", "4", "5"}));
}

TEST_P(SqlQuerySourceTest, RowsWithoutAWatermarkAreNotRead) {
  sql(kScores);
  sql(insert_scores(1, 2, 1) + "INSERT INTO scores VALUES (3, 'x', 0, NULL)");
  ASSERT_TRUE(start(kReadScores).ok());
  EXPECT_EQ(keys(drain()), (std::vector<std::string>{"1", "2"}));
}

TEST_P(SqlQuerySourceTest, AQueryIsReadLikeATable) {
  sql(kScores);
  sql("CREATE TABLE tiers (score integer, tier text)");
  sql(insert_scores(1, 3, 1) + "INSERT INTO tiers VALUES (10, 'bronze'), (20, 'silver')");
  // Ending in a comment, as pasted from a SQL console: it must not swallow the paging filter.
  ASSERT_TRUE(start("query: \"SELECT s.id AS customer, s.version, t.tier FROM scores s JOIN "
                    "tiers t ON t.score = s.score -- tiers by score\"\n"
                    "watermark_column: version\nkey_column: customer\n")
                  .ok());
  auto records = drain();
  ASSERT_EQ(keys(records), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(value(records[1]),
            nlohmann::json::parse(R"({"customer":2,"version":1,"tier":"silver"})"));
  EXPECT_FALSE(records[0].headers.contains("_table"));
}

TEST_P(SqlQuerySourceTest, SettleHoldsBackRowsNewerThanItUntilTheyAreOldEnough) {
  sql("CREATE TABLE events (id integer PRIMARY KEY, updated_at timestamptz)",
      "CREATE TABLE events (id integer PRIMARY KEY, updated_at text)");
  sql("INSERT INTO events VALUES (1, now() - interval '3 hours'), (2, now() - interval '2 hours'),"
      " (3, now()), (4, now() + interval '1 minute')",
      "INSERT INTO events VALUES (1, strftime('%Y-%m-%d %H:%M:%f', 'now', '-3 hours')),"
      " (2, strftime('%Y-%m-%d %H:%M:%f', 'now', '-2 hours')),"
      " (3, strftime('%Y-%m-%d %H:%M:%f', 'now')),"
      " (4, strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 minutes'))");
  const std::string block = "table: events\nwatermark_column: updated_at\nkey_column: id\n";
  ASSERT_TRUE(start(block + "settle: 1h\n").ok());
  auto settled = drain();
  ASSERT_EQ(keys(settled), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(poll().empty()) << "the newest rows wait until they are an hour old";

  // Held back, not skipped: once they count as settled (here: a shorter settle), they arrive.
  ASSERT_TRUE(start(block + "settle: 0s\n", settled.back().position).ok());
  EXPECT_EQ(keys(drain()), (std::vector<std::string>{"3", "4"}));
}

TEST_P(SqlQuerySourceTest, ATimestampWatermarkIsTheEventTime) {
  sql("CREATE TABLE events (id integer PRIMARY KEY, updated_at timestamptz)",
      "CREATE TABLE events (id integer PRIMARY KEY, updated_at text)");
  sql("INSERT INTO events VALUES (1, '2024-05-01 10:00:00.25+00')",
      "INSERT INTO events VALUES (1, '2024-05-01 10:00:00.250')");
  ASSERT_TRUE(start("table: events\nwatermark_column: updated_at\nkey_column: id\n").ok());
  auto records = drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(
                records[0].event_time.time_since_epoch())
                .count(),
            1714557600250);
}

TEST_P(SqlQuerySourceTest, HostileNamesAndValuesStayNamesAndValues) {
  const std::string column = "a\"b; drop table x";  // key column
  const std::string quoted_column = "\"a\"\"b; drop table x\"";
  sql("CREATE TABLE x (id integer)");
  sql("CREATE TABLE \"we\"\"ird\" (" + quoted_column + " integer, \"w'\" text)");
  // Watermark values with both quote characters and statement separators.
  sql("INSERT INTO \"we\"\"ird\" VALUES (1, 'it''s'), (2, 'say \"hi\"; DROP TABLE x; --'),"
      " (3, ''');DROP TABLE x;--')");
  const std::string block =
      "table: 'we\"ird'\nwatermark_column: \"w'\"\nkey_column: 'a\"b; drop "
      "table x'\ninitial_watermark: \"'\"\npoll_interval: 1h\n";
  ASSERT_TRUE(start(block).ok());
  auto records = drain(/*max_records=*/1);  // every read binds the last row's values
  ASSERT_EQ(records.size(), 3u);
  const auto read = keys(records);
  std::set<std::string> got(read.begin(), read.end());
  EXPECT_EQ(got, (std::set<std::string>{"1", "2", "3"}));
  for (const auto& r : records) EXPECT_TRUE(value(r).contains(column)) << r.value.text();
  // Resuming from a position holding those values works the same way.
  ASSERT_TRUE(start(block, records[0].position).ok());
  EXPECT_EQ(drain().size(), 2u);
  sql("INSERT INTO x VALUES (1)");  // fails if any of it ran as SQL
}

TEST_P(SqlQuerySourceTest, AMissingWatermarkColumnIsAPermanentErrorNamingIt) {
  sql(kScores);
  Status s = start("table: scores\nwatermark_column: versoin\nkey_column: id\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(s.error().message(), "watermark_column 'versoin'")) << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), "table scores")) << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), "did you mean version?")) << s.error().message();

  s = start("query: 'SELECT id, email FROM scores'\nwatermark_column: version\nkey_column: id\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(s.error().message(), "watermark_column 'version'")) << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), "query 'SELECT id, email FROM scores'"))
      << s.error().message();
}

TEST_P(SqlQuerySourceTest, AMissingTableIsAPermanentError) {
  sql(kScores);
  Status s = start("table: scroes\nwatermark_column: version\nkey_column: id\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(s.error().message(), "scroes")) << s.error().message();
}

TEST_P(SqlQuerySourceTest, ANullKeyStopsTheSourceWithTheReason) {
  sql("CREATE TABLE t (id integer, version integer)");
  sql("INSERT INTO t VALUES (1, 1), (NULL, 1)");
  ASSERT_TRUE(start("table: t\nwatermark_column: version\nkey_column: id\n").ok());
  auto r = read_batch();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(r.error().message(), "key_column 'id'")) << r.error().message();
  EXPECT_TRUE(contains(r.error().message(), "never NULL")) << r.error().message();
}

TEST_P(SqlQuerySourceTest, AnUnreachableDatabaseIsRetriedAndThenRead) {
  if (postgres()) {
    Status s = start(kReadScores, std::nullopt,
                     "host=127.0.0.1 port=1 user=x password=hunter2-secret connect_timeout=2");
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(s.error().retryable()) << s.error().message();
    EXPECT_FALSE(contains(s.error().message(), "hunter2")) << s.error().message();
    return;
  }
  // SQLite: the file is not there yet (a volume not mounted, an app not started).
  Status s = start(kReadScores);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().retryable()) << s.error().message();
  EXPECT_TRUE(contains(s.error().message(), sqlite_path())) << s.error().message();
  sql(kScores);
  sql(insert_scores(1, 1, 1));
  ASSERT_TRUE(run(source_->connect(std::nullopt)).ok());  // as the runtime retries
  EXPECT_EQ(keys(drain()), (std::vector<std::string>{"1"}));
}

TEST_P(SqlQuerySourceTest, AReadAfterTheDatabaseWentAwayReconnects) {
  sql(kScores);
  sql(insert_scores(1, 2, 1));
  ASSERT_TRUE(start(kReadScores).ok());
  ASSERT_EQ(drain().size(), 2u);
  if (postgres()) {
    // Waits (up to 10 s) until the source's session is gone, as after a server restart.
    pg().execute(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE "
        "application_name = 'weft sql_query' AND datname = '" +
        db_ + "'");
  }
  sql(insert_scores(3, 3, 2));
  source_->trigger();
  auto first = read_batch();
  std::vector<std::string> got;
  if (postgres()) {
    ASSERT_FALSE(first.ok()) << "the old session is gone";
    EXPECT_TRUE(first.error().retryable()) << first.error().message();
  } else {
    ASSERT_TRUE(first.ok()) << first.error().message();
    for (auto& r : *first) got.push_back(r.key);
  }
  for (auto& r : poll()) got.push_back(r.key);  // the runtime reads again after a retryable error
  EXPECT_EQ(got, (std::vector<std::string>{"3"}));
}

INSTANTIATE_TEST_SUITE_P(BothDialects, SqlQuerySourceTest,
                         ::testing::Values(TestDialect::kPostgres, TestDialect::kSqlite),
                         [](const auto& param) { return dialect_name(param.param); });

}  // namespace
}  // namespace weft::sql_query

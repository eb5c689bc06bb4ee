// How each dialect's values look in records, and paging on each dialect's own types.

#include "sql_query/sql_query_fixture.h"

namespace weft::sql_query {
namespace {

using nlohmann::json;

TEST_F(PostgresSqlQueryTest, ValuesBecomeTheJsonAUserExpects) {
  sql("CREATE TABLE v (id bigint PRIMARY KEY, amount numeric(10,2), ratio float8, active boolean, "
      "name text, seen timestamptz, local_seen timestamp, day date, doc jsonb, nothing text, "
      "updated_at timestamptz)");
  sql("INSERT INTO v VALUES (1, 12.50, 0.5, true, 'h\u00e9 \"q\"', '2024-05-01 "
      "10:00:00.123456+02', "
      "'2024-05-01 10:00:00', '2024-05-01', '{\"a\": [1, {\"b\": null}]}', NULL, "
      "'2024-05-01 00:00:00+00')");
  ASSERT_TRUE(start("table: v\nwatermark_column: updated_at\nkey_column: id\n").ok());
  auto records = drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(value(records[0]), json::parse(R"({
    "id": 1, "amount": "12.50", "ratio": 0.5, "active": true, "name": "h\u00e9 \"q\"",
    "seen": "2024-05-01T08:00:00.123456Z", "local_seen": "2024-05-01T10:00:00",
    "day": "2024-05-01", "doc": {"a": [1, {"b": null}]}, "nothing": null,
    "updated_at": "2024-05-01T00:00:00Z"})"));
  EXPECT_EQ(records[0].key, "1");
  EXPECT_EQ(records[0].position, R"({"w":"2024-05-01 00:00:00+00","k":"1"})");
}

TEST_F(PostgresSqlQueryTest, PagesBreakInsideOneMicrosecondTimestampWithTextKeys) {
  sql("CREATE TABLE v (code text PRIMARY KEY, updated_at timestamptz)");
  sql("INSERT INTO v SELECT 'k' || i, '2024-05-01 10:00:00.123456+00' FROM generate_series(1, 7) i;"
      "INSERT INTO v VALUES ('a', '2024-05-01 10:00:00.123457+00')");
  ASSERT_TRUE(start("table: public.v\nwatermark_column: updated_at\nkey_column: code\n"
                    "page_size: 2\n")
                  .ok());
  EXPECT_EQ(keys(drain()),
            (std::vector<std::string>{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "a"}));
}

TEST_F(PostgresSqlQueryTest, SettleOnAWatermarkThatIsNoTimestampIsAConfigError) {
  sql("CREATE TABLE v (id int PRIMARY KEY, version bigint)");
  Status s = start("table: v\nwatermark_column: version\nkey_column: id\nsettle: 5s\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(s.error().message().find("field 'settle'"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("bigint"), std::string::npos) << s.error().message();
}

TEST_F(SqliteSqlQueryTest, ValuesBecomeTheJsonAUserExpects) {
  sql("CREATE TABLE v (id INTEGER PRIMARY KEY, ratio REAL, active BOOLEAN, name TEXT, doc JSON, "
      "not_doc JSON, raw BLOB, missing TEXT, updated_at TEXT)");
  sql("INSERT INTO v VALUES (1, 2.5, 1, 'h\u00e9 \"q\"', '{\"a\": [1, {\"b\": null}]}', 'not "
      "json', "
      "x'00ff10', NULL, '2024-05-01T10:00:00Z')");
  ASSERT_TRUE(
      start("query: 'SELECT * FROM v'\nwatermark_column: updated_at\nkey_column: id\n").ok());
  auto records = drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(value(records[0]), json::parse(R"({
    "id": 1, "ratio": 2.5, "active": true, "name": "h\u00e9 \"q\"", "doc": {"a": [1, {"b": null}]},
    "not_doc": "not json", "raw": "AP8Q", "missing": null, "updated_at": "2024-05-01T10:00:00Z"})"));
  EXPECT_EQ(records[0].position, R"({"w":"2024-05-01T10:00:00Z","k":1})");
}

TEST_F(SqliteSqlQueryTest, RealWatermarksPageAndResumeAsReals) {
  sql("CREATE TABLE v (id INTEGER PRIMARY KEY, score REAL)");
  sql("INSERT INTO v VALUES (1, 1.5), (2, 1.5), (3, 1.5), (4, 0.25), (5, 2)");
  const std::string block = "table: v\nwatermark_column: score\nkey_column: id\npage_size: 2\n";
  ASSERT_TRUE(start(block).ok());
  auto records = drain();
  ASSERT_EQ(keys(records), (std::vector<std::string>{"4", "1", "2", "3", "5"}));
  EXPECT_EQ(records[2].position, R"({"w":1.5,"k":2})");
  ASSERT_TRUE(start(block, records[2].position).ok());
  EXPECT_EQ(keys(drain()), (std::vector<std::string>{"3", "5"}));
}

TEST_F(SqliteSqlQueryTest, SettleLeavesNumericWatermarksAlone) {
  sql("CREATE TABLE v (id INTEGER PRIMARY KEY, version INTEGER)");
  sql("INSERT INTO v VALUES (1, 1), (2, 2)");
  ASSERT_TRUE(start("table: v\nwatermark_column: version\nkey_column: id\nsettle: 1h\n").ok());
  EXPECT_EQ(keys(drain()), (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace weft::sql_query

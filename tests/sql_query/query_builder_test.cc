// The SQL the source runs and the positions it writes, without a database.

#include "connectors/sources/sql_query/query_builder.h"

#include <gtest/gtest.h>

#include "connectors/sources/sql_query/position.h"
#include "connectors/sources/sql_query/row_reader.h"

namespace weft::sql_query {
namespace {

TEST(QueryBuilder, IdentifiersAreQuotedWithEmbeddedQuotesDoubled) {
  EXPECT_EQ(quote_identifier("updated_at"), "\"updated_at\"");
  EXPECT_EQ(quote_identifier("a\"b; drop table x"), "\"a\"\"b; drop table x\"");
  EXPECT_EQ(quote_table("analytics.Scores"), "\"analytics\".\"Scores\"");
  EXPECT_EQ(quote_table("x\"; --"), "\"x\"\"; --\"");
}

TEST(QueryBuilder, TheUsersQueryIsASubqueryThatAnEndingCommentCannotBreak) {
  SqlQueryConfig config;
  config.query = "SELECT * FROM t -- note";
  EXPECT_EQ(columns_sql(config), "SELECT * FROM (SELECT * FROM t -- note\n) AS q LIMIT 0");
}

PageSqlOptions options(Dialect dialect, Bound bound) {
  PageSqlOptions o;
  o.dialect = dialect;
  o.relation = "\"scores\"";
  o.watermark_column = "updated_at";
  o.key_column = "id";
  o.bound = bound;
  o.limit = 500;
  if (dialect == Dialect::kPostgres) {
    o.watermark_type = "timestamp with time zone";
    o.key_type = "integer";
  }
  return o;
}

TEST(QueryBuilder, PostgresPagesCompareBoundParametersInTheColumnsTypes) {
  EXPECT_EQ(page_sql(options(Dialect::kPostgres, Bound::kStart)),
            "SELECT * FROM \"scores\" AS q WHERE q.\"updated_at\" IS NOT NULL "
            "ORDER BY q.\"updated_at\", q.\"id\" LIMIT 500");
  EXPECT_EQ(page_sql(options(Dialect::kPostgres, Bound::kFrom)),
            "SELECT * FROM \"scores\" AS q WHERE q.\"updated_at\" >= CAST($1 AS timestamp with "
            "time zone) ORDER BY q.\"updated_at\", q.\"id\" LIMIT 500");
  auto after = options(Dialect::kPostgres, Bound::kAfter);
  after.settle = true;
  EXPECT_EQ(page_sql(after),
            "SELECT * FROM \"scores\" AS q WHERE (q.\"updated_at\" > CAST($1 AS timestamp with "
            "time zone) OR (q.\"updated_at\" = CAST($1 AS timestamp with time zone) AND q.\"id\" "
            "> CAST($2 AS integer))) AND q.\"updated_at\" <= now() - CAST($3 AS interval) "
            "ORDER BY q.\"updated_at\", q.\"id\" LIMIT 500");
}

TEST(QueryBuilder, SqlitePagesBindPlainParameters) {
  auto after = options(Dialect::kSqlite, Bound::kAfter);
  EXPECT_EQ(page_sql(after),
            "SELECT * FROM \"scores\" AS q WHERE (q.\"updated_at\" > ?1 OR (q.\"updated_at\" = ?1 "
            "AND q.\"id\" > ?2)) ORDER BY q.\"updated_at\", q.\"id\" LIMIT 500");
  auto settled = options(Dialect::kSqlite, Bound::kStart);
  settled.settle = true;
  EXPECT_EQ(page_sql(settled),
            "SELECT * FROM \"scores\" AS q WHERE q.\"updated_at\" IS NOT NULL AND "
            "(typeof(q.\"updated_at\") <> 'text' OR julianday(q.\"updated_at\") IS NULL OR "
            "julianday(q.\"updated_at\") <= julianday('now', ?1)) "
            "ORDER BY q.\"updated_at\", q.\"id\" LIMIT 500");
}

TEST(Position, RoundTripsTextAndNumbersWithTheirTypes) {
  for (const Cursor& c :
       {Cursor{std::string("2024-05-01 10:00:00+00"), std::string("a\"'b")},
        Cursor{std::int64_t{42}, std::int64_t{-7}}, Cursor{1.5, std::string("k")}}) {
    auto decoded = decode_position(encode_position(c));
    ASSERT_TRUE(decoded.ok()) << encode_position(c);
    EXPECT_EQ(decoded->watermark, c.watermark);
    EXPECT_EQ(decoded->key, c.key);
  }
  EXPECT_EQ(encode_position(Cursor{std::string("2024-05-01"), std::int64_t{3}}),
            R"({"w":"2024-05-01","k":3})");
}

TEST(Position, ACheckpointOfAnotherKindIsAPermanentError) {
  for (const char* text : {"lsn:0/1A2B3C4:0", "{\"w\":1}", "{\"w\":[1],\"k\":1}", ""}) {
    auto decoded = decode_position(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().kind(), ErrorKind::kPermanent);
  }
}

TEST(ParseTime, ReadsWhatDatabasesPrint) {
  auto millis = [](std::string_view text) -> std::int64_t {
    auto t = parse_time(text);
    if (!t) return -1;
    return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
  };
  EXPECT_EQ(millis("2024-05-01 10:00:00.25+00"), 1714557600250);
  EXPECT_EQ(millis("2024-05-01 12:00:00.25+02"), 1714557600250);
  EXPECT_EQ(millis("2024-05-01T10:00:00.250Z"), 1714557600250);
  EXPECT_EQ(millis("2024-05-01 10:00:00.25"), 1714557600250);
  EXPECT_EQ(millis("2024-05-01"), 1714521600000);
  EXPECT_EQ(millis("infinity"), -1);
  EXPECT_EQ(millis("42"), -1);
}

}  // namespace
}  // namespace weft::sql_query

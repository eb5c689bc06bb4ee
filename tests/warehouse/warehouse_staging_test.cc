// How the warehouse sink reads records: JSON text (what most sources hand over, read with
// simdjson) loads exactly as the parsed form does, and batches staged ahead (prepare(), while
// the batch before is loading) load as if staged at their write, even when that write found
// the table changed.
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "warehouse/warehouse_sink_fixture.h"

namespace weft::warehouse {
namespace {

Record text_rec(std::string json, std::string position, Operation op = Operation::kUpdate) {
  Record r;
  r.value = Payload::from_text(std::move(json));
  r.position = std::move(position);
  r.op = op;
  return r;
}

class WarehouseStagingTest : public WarehouseSinkTest {
 protected:
  // The same records twice, as text into `texts` and parsed into `parsed`.
  void load_both_ways(const std::vector<std::string>& records) {
    Batch as_text;
    Batch as_parsed;
    for (std::size_t i = 0; i < records.size(); ++i) {
      as_text.push_back(text_rec(records[i], "t" + std::to_string(i)));
      as_parsed.push_back(rec(nlohmann::json::parse(records[i]), "p" + std::to_string(i)));
    }
    config_.plan.table = "texts";
    auto text_sink = connected_sink();
    auto result = write(*text_sink, as_text);
    EXPECT_TRUE(result.failures.empty()) << result.failures[0].error.message();
    config_.plan.table = "parsed";
    auto parsed_sink = connected_sink();
    result = write(*parsed_sink, as_parsed);
    EXPECT_TRUE(result.failures.empty()) << result.failures[0].error.message();
  }
};

TEST_P(WarehouseStagingTest, JsonTextLoadsExactlyAsTheParsedValue) {
  load_both_ways({
      R"({"id": 1, "name": "Zo\u00eb \"Z\" O'Hara", "note": "line\nbreak, comma\\slash",)"
      R"( "score": -2.5, "visits": 3, "vip": true, "tags": ["a", {"b": null}],)"
      R"( "address": {"city": "Lyon", "zip": "69001"}, "seen": "2026-11-28T10:00:00Z",)"
      R"( "empty": "", "missing": null})",
      R"({"name":"dup","id":2,"name":"last one wins","score":1e2,"visits":0,"vip":false})",
      R"({"id": 3, "score": 7, "note": "\\."})",
  });
  const std::string columns = postgres() ? "id, name, note, score, visits, vip, tags::text, "
                                           "address::text, seen, empty, missing"
                                         : "id, name, note, score, visits, vip, tags, address, "
                                           "seen, empty, missing";
  const Rows parsed = sql("SELECT " + columns + " FROM parsed ORDER BY id");
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(sql("SELECT " + columns + " FROM texts ORDER BY id"), parsed);
  EXPECT_EQ(parsed[0][1], "Zo\u00eb \"Z\" O'Hara");
  EXPECT_EQ(parsed[0][2], "line\nbreak, comma\\slash");
  EXPECT_EQ(parsed[0][9], "") << "an empty string is not NULL";
  EXPECT_EQ(parsed[1][1], "last one wins");
  EXPECT_EQ(parsed[2][2], "\\.") << "a value that would end COPY's data is kept";
}

TEST_P(WarehouseStagingTest, NumbersAsTextKeepTheirDigitsAndIntegralFloatsFitBigint) {
  sql("CREATE TABLE customers (id bigint PRIMARY KEY, amount double precision, code text, "
      "_loaded_at timestamptz)");
  auto sink = connected_sink();
  auto result = write(*sink, {text_rec(R"({"id": 4.0, "amount": 12.50, "code": 0.10})", "p1")});
  ASSERT_TRUE(result.failures.empty()) << result.failures[0].error.message();
  EXPECT_EQ(sql("SELECT id, amount, code FROM customers"), (Rows{{"4", "12.5", "0.10"}}));
}

TEST_P(WarehouseStagingTest, ATextDeleteIsKeyedByItsBeforeImage) {
  auto sink = connected_sink();
  write(*sink, {text_rec(R"({"id": 1, "name": "a"})", "p1"),
                text_rec(R"({"id": 2, "name": "b"})", "p2")});
  Record gone = text_rec("null", "p3", Operation::kDelete);
  gone.before = Payload::from_text(R"({"id": 1, "name": "a"})");
  write(*sink, {gone});
  EXPECT_EQ(sql("SELECT id FROM customers"), (Rows{{"2"}}));
}

// postgres_cdc's default envelope: the row is `after`, a delete's key is in `before`.
TEST_P(WarehouseStagingTest, ADebeziumEnvelopeLoadsItsAfterAndADeleteItsBefore) {
  const std::string source = R"("source": {"schema": "public", "table": "customers"})";
  auto change = [&](const std::string& op, const std::string& before, const std::string& after,
                    std::string position, bool parsed) {
    const std::string text = "{\"before\": " + before + ", \"after\": " + after + ", " +
                             source + ", \"op\": \"" + op + "\", \"ts_ms\": 1}";
    Record r = parsed ? rec(nlohmann::json::parse(text), std::move(position))
                      : text_rec(text, std::move(position));
    r.op = op == "d" ? Operation::kDelete : Operation::kUpdate;
    return r;
  };
  for (const bool parsed : {false, true}) {
    config_.plan.table = parsed ? "from_parsed" : "from_text";
    auto sink = connected_sink();
    auto result = write(
        *sink, {change("r", "null", R"({"id": 1, "name": "ada"})", "p1", parsed),
                change("c", "null", R"({"id": 2, "name": "alan"})", "p2", parsed),
                change("u", R"({"id": 1, "name": "ada"})", R"({"id": 1, "name": "Ada"})", "p3",
                       parsed)});
    ASSERT_TRUE(result.failures.empty()) << result.failures[0].error.message();
    write(*sink, {change("d", R"({"id": 2, "name": "alan"})", "null", "p4", parsed)});
    EXPECT_EQ(sql("SELECT id, name FROM " + config_.plan.table), (Rows{{"1", "Ada"}}));
    const Rows all = sql("SELECT * FROM " + config_.plan.table);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].size(), 3u) << "id, name, _loaded_at: no envelope field became a column";
  }
}

TEST_P(WarehouseStagingTest, TextThatIsNoObjectOrNoJsonIsDeadLetteredAndTheRestLoads) {
  auto sink = connected_sink();
  auto result = write(*sink, {text_rec("[1, 2]", "p1"), text_rec("{\"id\": 5", "p2"),
                              text_rec(R"({"id": 6})", "p3")});
  ASSERT_EQ(result.failures.size(), 2u);
  for (const auto& f : result.failures) {
    EXPECT_EQ(f.error.message(), "the record's value is not a JSON object, so it has no columns");
  }
  EXPECT_EQ(sql("SELECT id FROM customers"), (Rows{{"6"}}));
}

TEST_P(WarehouseStagingTest, ABatchPreparedWhileTheOneBeforeAddsAColumnLoadsIntoTheNewTable) {
  sql("CREATE TABLE customers (id bigint PRIMARY KEY, name text, _loaded_at timestamptz)");
  auto sink = connected_sink();
  const Batch first{text_rec(R"({"id": 1, "name": "a", "tier": "gold"})", "p1")};
  const Batch second{text_rec(R"({"id": 2, "tier": "silver"})", "p2"),
                     text_rec(R"({"id": 1, "name": "a2", "tier": "platinum"})", "p3")};
  // The runtime's order: both staged against the table as it was, then written in turn.
  run_coroutine(sink->prepare(first));
  run_coroutine(sink->prepare(second));
  auto result = write(*sink, first);
  ASSERT_TRUE(result.status.ok());
  result = write(*sink, second);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(sql("SELECT id, name, tier FROM customers ORDER BY id"),
            (Rows{{"1", "a2", "platinum"}, {"2", "NULL", "silver"}}));
}

TEST_P(WarehouseStagingTest, APartOfAPreparedBatchLoadsOnlyThatPart) {
  auto sink = connected_sink();
  const Batch batch{text_rec(R"({"id": 1})", "p1"), text_rec(R"({"id": 2})", "p2"),
                    text_rec(R"({"id": 3})", "p3")};
  run_coroutine(sink->prepare(batch));
  const Batch retried{batch[0], batch[2]};  // the runtime resends what failed
  write(*sink, retried);
  EXPECT_EQ(sql("SELECT id FROM customers ORDER BY id"), (Rows{{"1"}, {"3"}}));
}

// A checkpoint can reach the sink while it loads the next batch (the runtime prepares and
// writes ahead). PostgreSQL only: a SQLite load never waits, so nothing runs in between.
class WarehouseCommitDuringLoadTest : public WarehouseSinkTest {};

TEST_P(WarehouseCommitDuringLoadTest, ACheckpointArrivingDuringALoadNeverMovesThePositionBack) {
  auto sink = connected_sink();
  write(*sink, {text_rec(R"({"id": 1})", "p1")});
  const Batch next{text_rec(R"({"id": 2})", "p2"), text_rec(R"({"id": 3})", "p3")};
  std::optional<WriteResult> wrote;
  std::optional<Status> committed;
  boost::asio::co_spawn(io_, weft::testing::detail::store_result(sink->write_batch(next), &wrote),
                        boost::asio::detached);
  boost::asio::co_spawn(io_, weft::testing::detail::store_result(sink->commit("p1"), &committed),
                        boost::asio::detached);
  io_.restart();
  io_.run();
  ASSERT_TRUE(wrote && wrote->status.ok());
  ASSERT_TRUE(committed && committed->ok());
  EXPECT_EQ(stored(*sink), "p3");
  EXPECT_EQ(sql("SELECT position FROM _weft_checkpoints WHERE pipeline = 'crm'"),
            (Rows{{"p3"}}));
  EXPECT_EQ(stored(*connected_sink()), "p3") << "a restart resumes after p3, not p1";
}

INSTANTIATE_TEST_SUITE_P(Postgres, WarehouseCommitDuringLoadTest, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(Dialects, WarehouseStagingTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace weft::warehouse

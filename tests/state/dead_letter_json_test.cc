// The dead letter's JSON (what /api/dlq and `weft dlq` show) and the record codec the store
// keeps dead records in: every record comes back exactly, whatever bytes it holds.

#include "state/dead_letter_json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "state/state_test_support.h"

namespace weft {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using nlohmann::json;
using state_test::expect_same_record;

// 2026-11-27T09:41:02.123Z
const Clock::time_point kFailure = Clock::time_point(1'795'772'462'123ms);

Record full_record() {
  Record record;
  record.key = "customer-42";
  record.value = Payload::from_text(R"({"id":42,"email":"a@example.com","tags":["x","y"]})");
  record.op = Operation::kUpdate;
  record.before = Payload::from_text(R"({"id":42,"email":"old@example.com"})");
  record.headers = {{"_lsn", "0/16B3748"}, {"_table", "public.customers"}};
  record.id = "evt-7";
  record.event_time = kFailure - 1h;
  record.ingest_time = kFailure - 59min;
  record.position = "0/16B3748";
  return record;
}

// record -> JSON -> text -> JSON -> record, as the store does it.
Record round_trip(const Record& record) {
  const std::string text = record_to_json(record).dump();  // throws on invalid UTF-8
  auto decoded = record_from_json(json::parse(text));
  EXPECT_TRUE(decoded.ok()) << decoded.error().message() << "\n" << text;
  return decoded.ok() ? *decoded : Record{};
}

std::string decode_error(const json& in) {
  auto decoded = record_from_json(in);
  EXPECT_FALSE(decoded.ok()) << in.dump();
  return decoded.ok() ? "" : decoded.error().message();
}

TEST(RecordJson, RoundTripKeepsEveryField) {
  const Record record = full_record();
  expect_same_record(round_trip(record), record, "full record");
}

TEST(RecordJson, ARejectedRowKeepsItsReasonAndRawText) {
  Record record = full_record();
  record.rejected = "s3://drops/a.csv line 3: row has 3 fields, expected 2";
  record.value = Payload::from_text("2,n2,extra");
  const json out = record_to_json(record);
  EXPECT_EQ(out["rejected"], record.rejected);
  expect_same_record(round_trip(record), record, "rejected record");
  EXPECT_FALSE(record_to_json(full_record()).contains("rejected"));
}

TEST(RecordJson, JsonPayloadIsShownAsJson) {
  Record record = full_record();
  // Compact with sorted keys: exactly what the JSON value serialises to, so stored once.
  record.value = Payload::from_text(R"({"email":"a@example.com","id":42})");
  json out = record_to_json(record);
  EXPECT_EQ(out["value"]["email"], "a@example.com");
  EXPECT_FALSE(out.contains("value_text"));
  EXPECT_EQ(out["op"], "update");
  EXPECT_EQ(out["headers"]["_lsn"], "0/16B3748");
  EXPECT_EQ(out["event_time"], 1'795'772'462'123 - 3'600'000);
  EXPECT_EQ(out["position"], "0/16B3748");

  // Keys in another order: still shown as JSON, and the exact text kept beside it.
  out = record_to_json(full_record());
  EXPECT_EQ(out["value"]["email"], "a@example.com");
  EXPECT_EQ(out["value_text"], R"({"id":42,"email":"a@example.com","tags":["x","y"]})");
  EXPECT_EQ(out["before"]["email"], "old@example.com");
  EXPECT_EQ(out["before_text"], R"({"id":42,"email":"old@example.com"})");
}

TEST(RecordJson, PayloadTextThatIsNotJsonComesBackAsTheSameText) {
  Record record = full_record();
  record.value = Payload::from_text("id=42&email=a@example.com");
  const json out = record_to_json(record);
  EXPECT_EQ(out["value"], "id=42&email=a@example.com");
  EXPECT_EQ(out["value_text"], "id=42&email=a@example.com");
  expect_same_record(round_trip(record), record, "not JSON");
}

TEST(RecordJson, JsonPayloadComesBackByteForByteWhateverItsSpacingAndKeyOrder) {
  Record record = full_record();
  record.value = Payload::from_text("{ \"z\": 1.50,\n  \"a\": [1, 2] }");
  record.before = Payload::from_text("1e400");
  const json out = record_to_json(record);
  EXPECT_EQ(out["value"]["z"], 1.5);  // still readable as JSON
  expect_same_record(round_trip(record), record, "formatted JSON");
}

TEST(RecordJson, BinaryBytesEverywhereComeBackExactly) {
  Record record = full_record();
  record.key = "k\0\xff"s;
  record.value = Payload::from_text("\x89PNG\r\n\x1a\n\0\0"s);
  record.before = Payload::from_text("\xc3\x28"s);  // invalid UTF-8 sequence
  record.headers = {{"raw", "\xfe\xff"s}, {"text", "caf\xc3\xa9"}};
  record.id = "\xed\xa0\x80"s;  // an encoded surrogate: not UTF-8
  record.position = "\0\x01\xff 'quoted' \"double\" \\ end"s;
  const json out = record_to_json(record);
  EXPECT_TRUE(out["position"].contains("base64"));
  EXPECT_EQ(out["headers"]["text"], "caf\xc3\xa9");
  expect_same_record(round_trip(record), record, "binary");

  // A header name that is not UTF-8 cannot be an object key: pairs instead.
  record.headers = {{"\xff", "v"}, {"name", "\xff"}};
  EXPECT_TRUE(record_to_json(record)["headers"].is_array());
  expect_same_record(round_trip(record), record, "binary header name");
}

TEST(RecordJson, EmptyPayloadJsonNullAndMissingBeforeImageStayDistinct) {
  Record record;  // empty value, no before-image
  json out = record_to_json(record);
  EXPECT_TRUE(out["value"].is_null());
  EXPECT_FALSE(out.contains("before"));
  Record decoded = round_trip(record);
  EXPECT_TRUE(decoded.value.empty());
  EXPECT_FALSE(decoded.before.has_value());

  record.value = Payload::from_text("null");
  record.before = Payload();
  decoded = round_trip(record);
  EXPECT_FALSE(decoded.value.empty());
  EXPECT_EQ(decoded.value.text(), "null");
  ASSERT_TRUE(decoded.before.has_value());
  EXPECT_TRUE(decoded.before->empty());
}

TEST(RecordJson, PayloadBuiltAsJsonRoundTrips) {
  Record record = full_record();
  record.value = Payload::from_json(json{{"b", 2}, {"a", {1, 2}}});
  expect_same_record(round_trip(record), record, "from_json");
}

TEST(RecordJson, TimesKeepMillisecondsAndMayPrecede1970) {
  Record record = full_record();
  record.event_time = Clock::time_point(-1'234ms);
  record.ingest_time = Clock::time_point(123'456'789'012ms);
  expect_same_record(round_trip(record), record, "times");
}

TEST(RecordJson, DecodingErrorsNameTheField) {
  const json good = record_to_json(full_record());
  EXPECT_EQ(decode_error(json::array()), "record JSON: not an object");
  for (const char* field :
       {"key", "value", "op", "headers", "id", "event_time", "ingest_time", "position"}) {
    json in = good;
    in.erase(field);
    EXPECT_EQ(decode_error(in), "record JSON: '"s + field + "' is missing");
  }
  json in = good;
  in["op"] = "upsert";
  EXPECT_EQ(decode_error(in),
            "record JSON: 'op' must be one of none, create, update, delete, snapshot "
            "(got \"upsert\")");
  in = good;
  in["event_time"] = "yesterday";
  EXPECT_EQ(decode_error(in), "record JSON: 'event_time' must be an integer (unix milliseconds)");
  in = good;
  in["ingest_time"] = 1.5;
  EXPECT_EQ(decode_error(in), "record JSON: 'ingest_time' must be an integer (unix milliseconds)");
  in = good;
  in["position"] = json{{"base64", "!!!!"}};
  EXPECT_EQ(decode_error(in), "record JSON: 'position' holds invalid base64");
  in = good;
  in["key"] = 42;
  EXPECT_EQ(decode_error(in), "record JSON: 'key' must be a string or {\"base64\": \"...\"}");
  in = good;
  in["headers"] = "x";
  EXPECT_EQ(decode_error(in),
            "record JSON: 'headers' must be an object, or an array of [name, value] pairs");
  in = good;
  in["headers"] = json{{"_lsn", 7}};
  EXPECT_EQ(decode_error(in),
            "record JSON: 'headers._lsn' must be a string or {\"base64\": \"...\"}");
  in = good;
  in["value_text"] = json{{"base64", "QQ="}};
  EXPECT_EQ(decode_error(in), "record JSON: 'value_text' holds invalid base64");
}

TEST(DeadLetterJson, ShowsTheFailureWithRfc3339TimesAndTheRecordOnRequest) {
  DeadLetter letter;
  letter.id = 17;
  letter.pipeline = "orders";
  letter.stage = "sink";
  letter.error_kind = "permanent";
  letter.error = "HTTP 422: bad \xff byte";
  letter.attempts = 3;
  letter.first_failure = Clock::time_point{};
  letter.last_failure = kFailure + 456us;  // below a millisecond: dropped
  letter.replay_requested = true;
  letter.record = full_record();
  letter.record.position = "\xff\x00"s;

  const json summary = dead_letter_to_json(letter, false);
  EXPECT_EQ(summary, (json{{"id", 17},
                           {"pipeline", "orders"},
                           {"stage", "sink"},
                           {"error_kind", "permanent"},
                           {"error", "HTTP 422: bad \xef\xbf\xbd byte"},
                           {"attempts", 3},
                           {"first_failure", "1970-01-01T00:00:00.000Z"},
                           {"last_failure", "2026-11-27T09:41:02.123Z"},
                           {"replay_requested", true},
                           {"position", {{"base64", "/wA="}}},
                           {"key", "customer-42"}}));
  EXPECT_NO_THROW(summary.dump());

  const json full = dead_letter_to_json(letter, true);
  EXPECT_EQ(full["record"], record_to_json(letter.record));
  EXPECT_EQ(full.size(), summary.size() + 1);
}

}  // namespace
}  // namespace weft

#include "mapper/coerce.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace weft {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::system_clock;

ValueType type_of(std::string_view text) {
  auto parsed = parse_value_type(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed ? *parsed : ValueType{};
}

// The coerced value as JSON text, or "error: <message>".
std::string coerced(const json& value, std::string_view type, const CoerceOptions& options = {}) {
  auto result = coerce(value, type_of(type), options);
  if (!result) {
    EXPECT_EQ(result.error().kind(), ErrorKind::kPermanent);
    return "error: " + result.error().message();
  }
  return result->dump();
}

std::string ts(const json& value, const CoerceOptions& options = {}) {
  return coerced(value, "timestamp", options);
}

TEST(CoerceTest, NullStaysNullForEveryType) {
  for (const char* type :
       {"string", "int", "float", "decimal", "bool", "timestamp", "date", "json", "array<int>"}) {
    EXPECT_EQ(coerced(nullptr, type), "null") << type;
  }
}

TEST(CoerceTest, JsonPassesAnythingUnchanged) {
  EXPECT_EQ(coerced(json::parse(R"({"a":[1,"x"]})"), "json"), R"({"a":[1,"x"]})");
  EXPECT_EQ(coerced("text", "json"), R"("text")");
}

TEST(CoerceTest, StringFromScalars) {
  EXPECT_EQ(coerced("abc", "string"), R"("abc")");
  EXPECT_EQ(coerced(42, "string"), R"("42")");
  EXPECT_EQ(coerced(-1.5, "string"), R"("-1.5")");
  EXPECT_EQ(coerced(true, "string"), R"("true")");
  EXPECT_EQ(coerced(json::parse("{\"a\":1}"), "string"), R"(error: {"a":1} is not a string)");
  EXPECT_EQ(coerced(json::array({1}), "string"), "error: [1] is not a string");
}

TEST(CoerceTest, IntFromNumbersAndNumericStrings) {
  EXPECT_EQ(coerced(42, "int"), "42");
  EXPECT_EQ(coerced(-7, "int"), "-7");
  EXPECT_EQ(coerced(3.0, "int"), "3");
  EXPECT_EQ(coerced(" 42 ", "int"), "42");
  EXPECT_EQ(coerced("+42", "int"), "42");
  EXPECT_EQ(coerced("-9223372036854775808", "int"), "-9223372036854775808");
  EXPECT_EQ(coerced("1e3", "int"), "1000");
  EXPECT_EQ(coerced("42.0", "int"), "42");
  EXPECT_EQ(coerced(json(std::uint64_t{5}), "int"), "5");
}

TEST(CoerceTest, IntRejectsFractionsAndText) {
  EXPECT_EQ(coerced(1.5, "int"), "error: 1.5 is not an int");
  EXPECT_EQ(coerced("1.5", "int"), "error: '1.5' is not an int");
  EXPECT_EQ(coerced("abc", "int"), "error: 'abc' is not an int");
  EXPECT_EQ(coerced("", "int"), "error: '' is not an int");
  EXPECT_EQ(coerced("12abc", "int"), "error: '12abc' is not an int");
  EXPECT_EQ(coerced("0x10", "int"), "error: '0x10' is not an int");
  EXPECT_EQ(coerced(true, "int"), "error: true is not an int");
  EXPECT_EQ(coerced(json(std::uint64_t{18446744073709551615ULL}), "int"),
            "error: 18446744073709551615 is not an int");
  EXPECT_EQ(coerced("1e30", "int"), "error: '1e30' is not an int");
}

TEST(CoerceTest, FloatFromNumbersAndNumericStrings) {
  EXPECT_EQ(coerced(1.25, "float"), "1.25");
  EXPECT_EQ(coerced(2, "float"), "2.0");
  EXPECT_EQ(coerced("-1.5e3", "float"), "-1500.0");
  EXPECT_EQ(coerced(" 0.5\n", "float"), "0.5");
  EXPECT_EQ(coerced("7", "float"), "7.0");
  EXPECT_EQ(coerced("x", "float"), "error: 'x' is not a float");
  EXPECT_EQ(coerced("nan", "float"), "error: 'nan' is not a float");
  EXPECT_EQ(coerced("inf", "float"), "error: 'inf' is not a float");
  EXPECT_EQ(coerced("1e999", "float"), "error: '1e999' is not a float");
  EXPECT_EQ(coerced(false, "float"), "error: false is not a float");
}

TEST(CoerceTest, DecimalKeepsStringsAsWritten) {
  EXPECT_EQ(coerced("-12.50", "decimal"), R"("-12.50")");
  EXPECT_EQ(coerced("  12.50 ", "decimal"), R"("12.50")");
  EXPECT_EQ(coerced("7", "decimal"), R"("7")");
  EXPECT_EQ(coerced(".5", "decimal"), R"(".5")");
  EXPECT_EQ(coerced("12.5.1", "decimal"), "error: '12.5.1' is not a decimal");
  EXPECT_EQ(coerced("1e3", "decimal"), "error: '1e3' is not a decimal");
  EXPECT_EQ(coerced("-", "decimal"), "error: '-' is not a decimal");
  EXPECT_EQ(coerced("abc", "decimal"), "error: 'abc' is not a decimal");
}

TEST(CoerceTest, DecimalFromNumbersIsTheShortestExactText) {
  EXPECT_EQ(coerced(42, "decimal"), R"("42")");
  EXPECT_EQ(coerced(0.1, "decimal"), R"("0.1")");
  EXPECT_EQ(coerced(12.5, "decimal"), R"("12.5")");
  EXPECT_EQ(coerced(1e20, "decimal"), R"("100000000000000000000")");
  EXPECT_EQ(coerced(1e-7, "decimal"), R"("0.0000001")");
  EXPECT_EQ(coerced(true, "decimal"), "error: true is not a decimal");
}

TEST(CoerceTest, BoolFromWordsAndZeroOne) {
  for (const char* t : {"true", "TRUE", "Yes", "1", "on", " On "}) {
    EXPECT_EQ(coerced(t, "bool"), "true") << t;
  }
  for (const char* f : {"false", "False", "no", "0", "OFF"}) {
    EXPECT_EQ(coerced(f, "bool"), "false") << f;
  }
  EXPECT_EQ(coerced(1, "bool"), "true");
  EXPECT_EQ(coerced(0, "bool"), "false");
  EXPECT_EQ(coerced(false, "bool"), "false");
  EXPECT_EQ(coerced(2, "bool"), "error: 2 is not a bool");
  EXPECT_EQ(coerced("maybe", "bool"), "error: 'maybe' is not a bool");
  EXPECT_EQ(coerced("", "bool"), "error: '' is not a bool");
}

TEST(CoerceTest, TimestampFromIso8601WithOffsets) {
  EXPECT_EQ(ts("2026-11-27T10:31:02Z"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("2026-11-27T10:31:02.5+01:00"), R"("2026-11-27T09:31:02.500Z")");
  EXPECT_EQ(ts("2026-11-27T10:31:02-0530"), R"("2026-11-27T16:01:02Z")");
  EXPECT_EQ(ts("2026-11-27T10:31:02+05"), R"("2026-11-27T05:31:02Z")");
  EXPECT_EQ(ts("2026-11-27t10:31:02z"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("2026-11-27T23:30:00-01:00"), R"("2026-11-28T00:30:00Z")");
  EXPECT_EQ(ts("2026-01-01T00:30:00+01:00"), R"("2025-12-31T23:30:00Z")");
  EXPECT_EQ(ts("2026-11-27T10:31"), R"("2026-11-27T10:31:00Z")");
}

TEST(CoerceTest, TimestampFractionsKeepMilliseconds) {
  EXPECT_EQ(ts("2026-11-27T10:31:02.123Z"), R"("2026-11-27T10:31:02.123Z")");
  EXPECT_EQ(ts("2026-11-27T10:31:02.123456789Z"), R"("2026-11-27T10:31:02.123Z")");
  EXPECT_EQ(ts("2026-11-27T10:31:02,25Z"), R"("2026-11-27T10:31:02.250Z")");
  EXPECT_EQ(ts("2026-11-27T10:31:02.000Z"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("2026-11-27T10:31:02.Z"), "error: '2026-11-27T10:31:02.Z' is not a valid timestamp");
}

TEST(CoerceTest, TimestampWithoutZoneIsUtc) {
  EXPECT_EQ(ts("2026-11-27 10:31:02"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts(" 2026-11-27 10:31:02 "), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("2026-11-27 10:31:02 +0100"), R"("2026-11-27T09:31:02Z")");
  EXPECT_EQ(ts("2026-11-27 10:31:02 UTC"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("2026-11-27"), R"("2026-11-27T00:00:00Z")");
}

TEST(CoerceTest, TimestampFromRfc1123) {
  EXPECT_EQ(ts("Fri, 27 Nov 2026 10:31:02 GMT"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("Fri, 27 Nov 2026 10:31:02 +0200"), R"("2026-11-27T08:31:02Z")");
  EXPECT_EQ(ts("1 Mar 2024 00:00:00 GMT"), R"("2024-03-01T00:00:00Z")");
  EXPECT_EQ(ts("Xyz, 27 Nov 2026 10:31:02 GMT"),
            "error: 'Xyz, 27 Nov 2026 10:31:02 GMT' is not a valid timestamp");
  EXPECT_EQ(ts("Fri, 31 Feb 2026 10:31:02 GMT"),
            "error: 'Fri, 31 Feb 2026 10:31:02 GMT' is not a valid timestamp");
}

TEST(CoerceTest, TimestampFromRfc1123KnowsEveryMonthAndWeekday) {
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int m = 0; m < 12; ++m) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "\"2026-%02d-09T08:00:00Z\"", m + 1);
    EXPECT_EQ(ts(std::string("09 ") + months[m] + " 2026 08:00:00 GMT"), expected) << months[m];
  }
  // 2026-11-23 is a Monday.
  const char* days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  for (int d = 0; d < 7; ++d) {
    const std::string day = std::to_string(23 + d);
    EXPECT_EQ(ts(std::string(days[d]) + ", " + day + " Nov 2026 08:00:00 GMT"),
              "\"2026-11-" + day + "T08:00:00Z\"")
        << days[d];
  }
  EXPECT_EQ(ts("fri, 27 nov 2026 10:31:02 gmt"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("Fri, 27 Now 2026 10:31:02 GMT"),
            "error: 'Fri, 27 Now 2026 10:31:02 GMT' is not a valid timestamp");
}

TEST(CoerceTest, TimestampFromUnixNumbersGuessesTheUnit) {
  EXPECT_EQ(ts(1795775462), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts(1795775462123LL), R"("2026-11-27T10:31:02.123Z")");
  EXPECT_EQ(ts(1795775462123456LL), R"("2026-11-27T10:31:02.123Z")");
  EXPECT_EQ(ts(1795775462.5), R"("2026-11-27T10:31:02.500Z")");
  EXPECT_EQ(ts(1700000000.123), R"("2023-11-14T22:13:20.123Z")");
  EXPECT_EQ(ts(0), R"("1970-01-01T00:00:00Z")");
}

TEST(CoerceTest, TimestampFromNumericStrings) {
  EXPECT_EQ(ts("1795775462"), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts(" 1795775462123 "), R"("2026-11-27T10:31:02.123Z")");
  EXPECT_EQ(ts("1795775462.25"), R"("2026-11-27T10:31:02.250Z")");
}

TEST(CoerceTest, TimestampWithAnExplicitEpochUnit) {
  CoerceOptions millis;
  millis.epoch_unit = EpochUnit::kMillis;
  EXPECT_EQ(ts(1000, millis), R"("1970-01-01T00:00:01Z")");
  CoerceOptions micros;
  micros.epoch_unit = EpochUnit::kMicros;
  EXPECT_EQ(ts("2500000", micros), R"("1970-01-01T00:00:02.500Z")");
  CoerceOptions seconds;
  seconds.epoch_unit = EpochUnit::kSeconds;
  EXPECT_EQ(ts(1795775462123LL, seconds), "error: 1795775462123 is not a valid timestamp");
}

TEST(CoerceTest, TimestampBefore1970) {
  EXPECT_EQ(ts("1969-07-20T20:17:40Z"), R"("1969-07-20T20:17:40Z")");
  EXPECT_EQ(ts(-1), R"("1969-12-31T23:59:59Z")");
  EXPECT_EQ(ts(-1.5), R"("1969-12-31T23:59:58.500Z")");
  EXPECT_EQ(ts("1900-02-28 12:00:00"), R"("1900-02-28T12:00:00Z")");
  EXPECT_EQ(ts("0001-01-01"), R"("0001-01-01T00:00:00Z")");
  EXPECT_EQ(ts("9999-12-31T23:59:59.999Z"), R"("9999-12-31T23:59:59.999Z")");
  EXPECT_EQ(ts("0001-01-01T00:00:00+01:00"),
            "error: '0001-01-01T00:00:00+01:00' is not a valid timestamp");
}

TEST(CoerceTest, TimestampRejectsImpossibleDatesAndTimes) {
  for (const char* bad :
       {"2026-02-31", "2026-02-29", "2026-13-01", "2026-00-10", "2026-11-27T25:00:00Z",
        "2026-11-27T24:00:00Z", "2026-11-27T10:60:00Z", "2026-11-27T10:31:60Z",
        "2026-11-27T10:31:02+24:00", "2026-11-27T10:31:02+01:60", "2026-11-27X10:31:02",
        "2026-11-27T10:31:02 junk", "2026-1-27", "27/11/2026", "yesterday", "", "1e400"}) {
    EXPECT_EQ(ts(bad), "error: '" + std::string(bad) + "' is not a valid timestamp");
  }
  EXPECT_EQ(ts("2024-02-29"), R"("2024-02-29T00:00:00Z")");  // a leap year
  EXPECT_EQ(ts(true), "error: true is not a valid timestamp");
  EXPECT_EQ(ts(json::object()), "error: {} is not a valid timestamp");
}

TEST(CoerceTest, TimestampWithACustomFormat) {
  CoerceOptions options;
  options.format = "%d/%m/%Y %H:%M";
  EXPECT_EQ(ts("27/11/2026 10:31", options), R"("2026-11-27T10:31:00Z")");
  EXPECT_EQ(ts("31/02/2026 10:31", options), "error: '31/02/2026 10:31' is not a valid timestamp");
  // The built-in formats still apply after the custom one.
  EXPECT_EQ(ts("2026-11-27T10:31:02Z", options), R"("2026-11-27T10:31:02Z")");
  EXPECT_EQ(ts("27/11/2026 10:31 trailing", options),
            "error: '27/11/2026 10:31 trailing' is not a valid timestamp");

  CoerceOptions with_zone;
  with_zone.format = "%Y%m%d %H%M%S %z";
  EXPECT_EQ(ts("20261127 103102 +0100", with_zone), R"("2026-11-27T09:31:02Z")");
  CoerceOptions date_only;
  date_only.format = "%d.%m.%Y";
  EXPECT_EQ(ts("05.03.1955", date_only), R"("1955-03-05T00:00:00Z")");
}

TEST(CoerceTest, DateKeepsTheUtcDate) {
  EXPECT_EQ(coerced("2026-11-27", "date"), R"("2026-11-27")");
  EXPECT_EQ(coerced("2026-11-27T23:30:00-05:00", "date"), R"("2026-11-28")");
  EXPECT_EQ(coerced(1795775462, "date"), R"("2026-11-27")");
  EXPECT_EQ(coerced(-1, "date"), R"("1969-12-31")");
  EXPECT_EQ(coerced("Fri, 27 Nov 2026 10:31:02 GMT", "date"), R"("2026-11-27")");
  EXPECT_EQ(coerced("2026-02-31", "date"), "error: '2026-02-31' is not a valid date");
}

TEST(CoerceTest, ArraysCoerceEachElement) {
  EXPECT_EQ(coerced(json::array({"1", 2, 3.0}), "array<int>"), "[1,2,3]");
  EXPECT_EQ(coerced(json::array({1, nullptr}), "array<string>"), R"(["1",null])");
  EXPECT_EQ(coerced(json::array(), "array<int>"), "[]");
  EXPECT_EQ(coerced(json::array({"1.5", "2", "x"}), "array<float>"),
            "error: element [2]: 'x' is not a float");
  EXPECT_EQ(coerced(json::parse(R"([["1"],["2","y"]])"), "array<array<int>>"),
            "error: element [1]: element [1]: 'y' is not an int");
  EXPECT_EQ(coerced("x", "array<int>"), "error: 'x' is not an array");
}

TEST(CoerceTest, ErrorsTruncateLongValues) {
  const std::string long_text(100, 'a');
  EXPECT_EQ(coerced(long_text, "int"), "error: '" + std::string(64, 'a') + "...' is not an int");
}

TEST(CoerceParseTimestampTest, ReturnsTimePoints) {
  auto t = parse_timestamp("2026-11-27T10:31:02.123+00:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(t->time_since_epoch()).count(),
            1795775462123LL);
  EXPECT_EQ(parse_timestamp(json("not a time")), std::nullopt);
  EXPECT_EQ(parse_timestamp(json(nullptr)), std::nullopt);
  // Outside what a nanosecond system_clock holds.
  EXPECT_EQ(parse_timestamp(json("0001-01-01")), std::nullopt);
  ASSERT_TRUE(parse_timestamp(json("1900-01-01")).has_value());
  EXPECT_EQ(format_timestamp(*parse_timestamp(json("1900-01-01"))), "1900-01-01T00:00:00Z");
}

TEST(CoerceFormatTimestampTest, AddsMillisecondsOnlyWhenThereAreSome) {
  EXPECT_EQ(format_timestamp(system_clock::time_point{milliseconds{1795775462000}}),
            "2026-11-27T10:31:02Z");
  EXPECT_EQ(format_timestamp(system_clock::time_point{milliseconds{1795775462007}}),
            "2026-11-27T10:31:02.007Z");
  // Sub-millisecond parts are floored, also before 1970.
  EXPECT_EQ(format_timestamp(system_clock::time_point{std::chrono::microseconds{-1}}),
            "1969-12-31T23:59:59.999Z");
}

TEST(CoerceDescribeValueTest, QuotesStringsAndCutsLongValues) {
  EXPECT_EQ(describe_value("abc"), "'abc'");
  EXPECT_EQ(describe_value(42), "42");
  EXPECT_EQ(describe_value(json::parse(R"({"a": [1, 2]})")), R"({"a":[1,2]})");
  EXPECT_EQ(describe_value(nullptr), "null");
  EXPECT_EQ(describe_value("abcdef", 3), "'abc...'");
  EXPECT_EQ(describe_value(json::array({1, 2, 3}), 4), "[1,2...");
  EXPECT_EQ(describe_value("abc", 3), "'abc'");
}

TEST(CoerceDescribeValueTest, CutsAtCharactersNotBytes) {
  EXPECT_EQ(describe_value("héllo wörld", 5), "'héllo...'");
  EXPECT_EQ(describe_value("日本語テキスト", 3), "'日本語...'");
}

TEST(CoerceDescribeValueTest, InvalidUtf8DoesNotThrow) {
  json object = {{"k", std::string("\xff\xfe")}};
  EXPECT_NO_THROW(describe_value(object));
  EXPECT_NO_THROW(describe_value(std::string("\xff")));
}

}  // namespace
}  // namespace weft

#include "pgcdc/pg_value.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace weft::pgcdc {
namespace {

// OIDs from pg_type.dat.
enum : std::uint32_t {
  kBool = 16,
  kBytea = 17,
  kChar = 18,
  kName = 19,
  kInt8 = 20,
  kInt2 = 21,
  kInt4 = 23,
  kText = 25,
  kOid = 26,
  kJson = 114,
  kXml = 142,
  kJsonArray = 199,
  kFloat4 = 700,
  kFloat8 = 701,
  kMoney = 790,
  kMoneyArray = 791,
  kBoolArray = 1000,
  kByteaArray = 1001,
  kCharArray = 1002,
  kInt4Array = 1007,
  kTextArray = 1009,
  kFloat8Array = 1022,
  kBpchar = 1042,
  kVarchar = 1043,
  kDate = 1082,
  kTime = 1083,
  kTimestamp = 1114,
  kTimestamptz = 1184,
  kTimestamptzArray = 1185,
  kInterval = 1186,
  kIntervalArray = 1187,
  kTimetz = 1266,
  kNumeric = 1700,
  kUuid = 2950,
  kJsonb = 3802,
  kEnumMood = 16385,
};

// The JSON for one value; fails the test unless it is exactly one valid JSON value.
std::string json(std::uint32_t oid, std::string_view text) {
  std::string out = "prefix:";  // appends, never replaces
  append_json_value(out, oid, text);
  EXPECT_EQ(out.substr(0, 7), "prefix:");
  out.erase(0, 7);
  EXPECT_TRUE(nlohmann::json::accept(out)) << oid << " " << text << " -> " << out;
  return out;
}

TEST(PgValueTest, IntegersAreNumbers) {
  EXPECT_EQ(json(kInt2, "-32768"), "-32768");
  EXPECT_EQ(json(kInt4, "0"), "0");
  EXPECT_EQ(json(kInt8, "9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(json(kOid, "4294967295"), "4294967295");
  EXPECT_EQ(json(kInt4, "12abc"), "\"12abc\"");  // not what Postgres prints: kept as a string
  EXPECT_EQ(json(kInt4, "007"), "\"007\"");
  EXPECT_EQ(json(kInt4, ""), "\"\"");
  EXPECT_EQ(json(kInt4, "2E33"), "\"2E33\"");
  EXPECT_EQ(json(kInt8, "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(json(kInt8, "12345678901234567890"), "\"12345678901234567890\"");  // 20 digits
}

TEST(PgValueTest, ExactDecimalsStayStrings) {
  EXPECT_EQ(json(kNumeric, "12345.67890"), "\"12345.67890\"");
  EXPECT_EQ(json(kNumeric, "0.1000000000000000000000000001"), "\"0.1000000000000000000000000001\"");
  EXPECT_EQ(json(kNumeric, "NaN"), "\"NaN\"");
  EXPECT_EQ(json(kMoney, "$12.34"), "\"$12.34\"");
}

TEST(PgValueTest, FloatsAreNumbersExceptNonFiniteOnes) {
  EXPECT_EQ(json(kFloat4, "1.5"), "1.5");
  EXPECT_EQ(json(kFloat8, "-2.25e-10"), "-2.25e-10");
  EXPECT_EQ(json(kFloat8, "1e+100"), "1e+100");
  EXPECT_EQ(json(kFloat8, "-0"), "-0");
  EXPECT_EQ(json(kFloat8, "NaN"), "\"NaN\"");
  EXPECT_EQ(json(kFloat4, "Infinity"), "\"Infinity\"");
  EXPECT_EQ(json(kFloat8, "-Infinity"), "\"-Infinity\"");
  EXPECT_EQ(json(kFloat8, "1."), "\"1.\"");
  EXPECT_EQ(json(kFloat8, ".5"), "\".5\"");
  EXPECT_EQ(json(kFloat8, "1e"), "\"1e\"");
  // Finite doubles only: JSON readers (nlohmann, simdjson) reject numbers that overflow.
  EXPECT_EQ(json(kFloat8, "1.7976931348623157e+308"), "1.7976931348623157e+308");
  EXPECT_EQ(json(kFloat8, "1e-400"), "1e-400");
  EXPECT_EQ(json(kFloat8, "1e400"), "\"1e400\"");
  EXPECT_EQ(json(kFloat8, "2E33333333333333333333333333"), "\"2E33333333333333333333333333\"");
  EXPECT_EQ(json(kFloat8, "0.0000001e309"), "0.0000001e309");
}

TEST(PgValueTest, Booleans) {
  EXPECT_EQ(json(kBool, "t"), "true");
  EXPECT_EQ(json(kBool, "f"), "false");
  EXPECT_EQ(json(kBool, "maybe"), "\"maybe\"");
}

TEST(PgValueTest, TextLikeTypesAreStrings) {
  for (const std::uint32_t oid :
       std::initializer_list<std::uint32_t>{kText, kVarchar, kBpchar, kName, kChar, kUuid, kXml,
                                            kDate, kTime, kTimetz, kInterval, kEnumMood, 999999u}) {
    EXPECT_EQ(json(oid, "ab c"), "\"ab c\"") << oid;
  }
  EXPECT_EQ(json(kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
  EXPECT_EQ(json(kInterval, "1 day 02:03:04"), "\"1 day 02:03:04\"");
  EXPECT_EQ(json(kTimetz, "03:04:05+02"), "\"03:04:05+02\"");
}

TEST(PgValueTest, StringEscaping) {
  EXPECT_EQ(json(kText, "tab\there \"q\" \\ back \xC3\xA9"),
            "\"tab\\there \\\"q\\\" \\\\ back \xC3\xA9\"");
  EXPECT_EQ(json(kText, "\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(json(kText, std::string_view("\x00\x01\x1f\x7f/", 5)),
            "\"\\u0000\\u0001\\u001f\x7f/\"");
  EXPECT_EQ(json(kText, "\xF0\x9F\x98\x80 \xE2\x82\xAC \xEF\xBF\xBF"),
            "\"\xF0\x9F\x98\x80 \xE2\x82\xAC \xEF\xBF\xBF\"");  // valid 2-, 3-, 4-byte sequences
  EXPECT_EQ(json(kText, ""), "\"\"");
}

TEST(PgValueTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json(kText,
                 "a\xFF"
                 "b"),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(json(kText, "\xC0\xAF"), "\"" + fffd + fffd + "\"");             // overlong '/'
  EXPECT_EQ(json(kText, "\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(json(kText, "\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // >10FFFF
  EXPECT_EQ(json(kText, "x\xE2\x82"), "\"x" + fffd + fffd + "\"");  // cut short at the end
  EXPECT_EQ(json(kText,
                 "\xE2\x82"
                 "a"),
            "\"" + fffd + fffd + "a\"");
  EXPECT_EQ(json(kText, "\x80"), "\"" + fffd + "\"");
}

TEST(PgValueTest, JsonIsEmbeddedAsItIs) {
  EXPECT_EQ(json(kJson, R"({"k": [1, 2]})"), R"({"k": [1, 2]})");
  EXPECT_EQ(json(kJsonb, R"({"a": "é", "b": null, "c": [true, false, -1.5e3]})"),
            R"({"a": "é", "b": null, "c": [true, false, -1.5e3]})");
  EXPECT_EQ(json(kJson, " \n[]\t"), " \n[]\t");
  EXPECT_EQ(json(kJson, "\"\\ud83d\\ude00\""), "\"\\ud83d\\ude00\"");
  EXPECT_EQ(json(kJsonb, "3"), "3");
  EXPECT_EQ(json(kJsonb, "{}"), "{}");
}

TEST(PgValueTest, InvalidJsonBecomesAString) {
  for (const std::string_view bad :
       {R"({"a":)", "[1,]", "{\"a\" 1}", "[1] 2", "", " ", "\"\\ud800\"", "\"\\udc00\"", "\"a\tb\"",
        "\"\xFF\"", "01", "[1}", "{\"a\":1]", "tru", "nul", "{1:2}", "\"\\x\""}) {
    std::string expected;
    append_json_string(expected, bad);
    EXPECT_EQ(json(kJson, bad), expected) << bad;
  }
  // jsonb's numbers are numeric and may exceed a double; the document is then passed as a string.
  const std::string huge = "{\"a\": 1" + std::string(400, '0') + "}";
  EXPECT_EQ(json(kJsonb, huge)[0], '"');
  EXPECT_EQ(json(kJsonb, "[1e400]"), "\"[1e400]\"");
  EXPECT_EQ(json(kJsonb, "[1e300]"), "[1e300]");
}

TEST(PgValueTest, JsonNestingIsLimited) {
  const std::string deep_ok = std::string(1024, '[') + std::string(1024, ']');
  EXPECT_EQ(json(kJson, deep_ok), deep_ok);
  const std::string too_deep = std::string(1025, '[') + std::string(1025, ']');
  EXPECT_EQ(json(kJson, too_deep)[0], '"');
  const std::string mixed = R"({"a":[{"b":[{"c":{}}]},[]],"d":{"e":[1,{"f":"g"}]}})";
  EXPECT_EQ(json(kJson, mixed), mixed);
}

TEST(PgValueTest, TimestampsBecomeIso8601) {
  EXPECT_EQ(json(kTimestamp, "2024-01-02 03:04:05.123456"), "\"2024-01-02T03:04:05.123456\"");
  EXPECT_EQ(json(kTimestamp, "2024-01-02 03:04:05"), "\"2024-01-02T03:04:05\"");
  EXPECT_EQ(json(kTimestamp, "12345-01-01 00:00:00"), "\"12345-01-01T00:00:00\"");
  EXPECT_EQ(json(kTimestamptz, "2024-01-02 03:04:05.123+00"), "\"2024-01-02T03:04:05.123Z\"");
  EXPECT_EQ(json(kTimestamptz, "2024-01-02 08:34:05+05:30"), "\"2024-01-02T08:34:05+05:30\"");
  EXPECT_EQ(json(kTimestamptz, "2024-01-02 01:04:05-02"), "\"2024-01-02T01:04:05-02:00\"");
}

TEST(PgValueTest, TimestampsThatAreNotIsoStayAsPrinted) {
  EXPECT_EQ(json(kTimestamptz, "infinity"), "\"infinity\"");
  EXPECT_EQ(json(kTimestamptz, "-infinity"), "\"-infinity\"");
  EXPECT_EQ(json(kTimestamp, "-infinity"), "\"-infinity\"");
  EXPECT_EQ(json(kTimestamptz, "0044-03-15 12:00:00+00 BC"), "\"0044-03-15 12:00:00+00 BC\"");
  EXPECT_EQ(json(kTimestamp, "0044-03-15 12:00:00 BC"), "\"0044-03-15 12:00:00 BC\"");
  // A local mean time offset with seconds has no ISO 8601 form.
  EXPECT_EQ(json(kTimestamptz, "1850-01-01 00:19:32+00:19:32"), "\"1850-01-01 00:19:32+00:19:32\"");
  EXPECT_EQ(json(kTimestamp, "2024-01-02 03:04:05+00"), "\"2024-01-02 03:04:05+00\"");
  EXPECT_EQ(json(kTimestamptz, "2024-01-02 03:04:05"), "\"2024-01-02 03:04:05\"");
  EXPECT_EQ(json(kTimestamp, "2024-01-02 03:04:05."), "\"2024-01-02 03:04:05.\"");
  EXPECT_EQ(json(kTimestamp, "Tue Jan 02 03:04:05 2024"), "\"Tue Jan 02 03:04:05 2024\"");
}

TEST(PgValueTest, ByteaBecomesBase64) {
  EXPECT_EQ(json(kBytea, "\\x00ff10"), "\"AP8Q\"");
  EXPECT_EQ(json(kBytea, "\\x"), "\"\"");
  EXPECT_EQ(json(kBytea, "\\x00"), "\"AA==\"");
  EXPECT_EQ(json(kBytea, "\\x0001"), "\"AAE=\"");
  EXPECT_EQ(json(kBytea, "\\x48656c6c6f2c20776f726c6421"), "\"SGVsbG8sIHdvcmxkIQ==\"");
  EXPECT_EQ(json(kBytea, "\\xFBFF"), "\"+/8=\"");
  // The escape output format and malformed hex stay as printed.
  EXPECT_EQ(json(kBytea, "abc\\000"), "\"abc\\\\000\"");
  EXPECT_EQ(json(kBytea, "\\x0"), "\"\\\\x0\"");
  EXPECT_EQ(json(kBytea, "\\xzz"), "\"\\\\xzz\"");
}

TEST(PgValueTest, ArraysConvertEachElementByItsType) {
  EXPECT_EQ(json(kInt4Array, "{1,2,NULL}"), "[1,2,null]");
  EXPECT_EQ(json(kTextArray, R"({"a b","c\"d",NULL,"NULL"})"), R"(["a b","c\"d",null,"NULL"])");
  EXPECT_EQ(json(kInt4Array, "{{1,2},{3,4}}"), "[[1,2],[3,4]]");
  EXPECT_EQ(json(kInt4Array, "{}"), "[]");
  EXPECT_EQ(json(kInt4Array, "[0:1]={1,2}"), "[1,2]");  // lower bounds are dropped
  EXPECT_EQ(json(kInt4Array, "[-2:-1][1:1]={{1},{2}}"), "[[1],[2]]");
  EXPECT_EQ(json(kTextArray, R"({NULL,""," x","a,b","a\\b",é,"{}"})"),
            R"([null,""," x","a,b","a\\b","é","{}"])");
  EXPECT_EQ(json(kJsonArray, R"({"{\"a\":1}",[1]})"), R"([{"a":1},[1]])");
  EXPECT_EQ(json(kByteaArray, R"({"\\x00ff","\\x"})"), R"(["AP8=",""])");
  EXPECT_EQ(json(kTimestamptzArray, R"({"2024-01-02 03:04:05+00",infinity})"),
            R"(["2024-01-02T03:04:05Z","infinity"])");
  EXPECT_EQ(json(kBoolArray, "{t,f}"), "[true,false]");
  EXPECT_EQ(json(kFloat8Array, "{NaN,1.5,-Infinity}"), R"(["NaN",1.5,"-Infinity"])");
  EXPECT_EQ(json(kMoneyArray, "{$1.50}"), R"(["$1.50"])");
  EXPECT_EQ(json(kIntervalArray, R"({"1 day"})"), R"(["1 day"])");
  EXPECT_EQ(json(kCharArray, R"({a,"\""})"), R"(["a","\""])");
  EXPECT_EQ(json(kTextArray, "{\"\xFF\"}"), "[\"\xEF\xBF\xBD\"]");
  const std::string six = "{{{{{{1}}}}}}";
  EXPECT_EQ(json(kInt4Array, six), "[[[[[[1]]]]]]");
}

TEST(PgValueTest, MalformedArraysBecomeStrings) {
  for (const std::string_view bad :
       {"{1,2", "{1,,2}", "{1}x", "{\"a}", "{,}", "1,2", "", "{{{{{{{1}}}}}}}", "[0:1]{1}",
        "[a]={1}", "{\"a\"b}", "{a\\b}", "{\"a\\"}) {
    std::string expected;
    append_json_string(expected, bad);
    EXPECT_EQ(json(kInt4Array, bad), expected) << bad;
  }
}

TEST(PgValueTest, AppendingKeepsEarlierOutput) {
  std::string out = "[";
  append_json_value(out, kInt4, "1");
  out += ',';
  append_json_value(out, kInt4Array, "{1,");  // rolled back to a string, not half an array
  out += ']';
  EXPECT_EQ(out, R"([1,"{1,"])");
}

TEST(PgValueTest, BuiltinTypeNames) {
  EXPECT_EQ(builtin_type_name(kInt4), "int4");
  EXPECT_EQ(builtin_type_name(kTimestamptz), "timestamptz");
  EXPECT_EQ(builtin_type_name(kTextArray), "_text");
  EXPECT_EQ(builtin_type_name(3807), "_jsonb");
  EXPECT_EQ(builtin_type_name(kEnumMood), "");
  EXPECT_EQ(builtin_type_name(0), "");
}

}  // namespace
}  // namespace weft::pgcdc

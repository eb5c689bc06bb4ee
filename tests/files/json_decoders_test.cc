#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "files/decode_all_ways.h"
#include "files/row_decoder.h"

namespace weft::files {
namespace {

using Strings = std::vector<std::string>;
using Lines = std::vector<std::uint64_t>;

DecoderOptions json_lines() {
  DecoderOptions options;
  options.format = Format::kJsonLines;
  return options;
}

DecoderOptions json_array(std::string path = "$") {
  DecoderOptions options;
  options.format = Format::kJsonArray;
  options.records_path = std::move(path);
  return options;
}

TEST(JsonLinesDecoder, OneValuePerLineTrimmedBlankLinesSkipped) {
  const Decoded out = decode(json_lines(), "{\"a\":1}\r\n  \n\t[1, 2] \n\n\"s\"\n42");
  EXPECT_FALSE(out.error);
  EXPECT_EQ(jsons(out), (Strings{R"({"a":1})", "[1, 2]", R"("s")", "42"}));
  EXPECT_EQ(lines(out), (Lines{1, 3, 5, 6}));
}

TEST(JsonLinesDecoder, BadLineInTheMiddleIsABadRowAndTheOthersSurvive) {
  const Decoded out = decode(json_lines(), "{\"a\":1}\n{\"a\": tru}\n{\"a\":3}\n1 2\n{\"a\":5}\n");
  EXPECT_FALSE(out.error);
  ASSERT_EQ(out.rows.size(), 5u);
  EXPECT_EQ(out.rows[0].json, R"({"a":1})");
  EXPECT_EQ(out.rows[1].raw, R"({"a": tru})");
  EXPECT_TRUE(out.rows[1].error.starts_with("invalid JSON: ")) << out.rows[1].error;
  EXPECT_EQ(out.rows[2].json, R"({"a":3})");
  EXPECT_TRUE(out.rows[3].error.starts_with("invalid JSON: ")) << "two values on one line";
  EXPECT_EQ(out.rows[4].json, R"({"a":5})");
  EXPECT_EQ(lines(out), (Lines{1, 2, 3, 4, 5}));
}

TEST(JsonLinesDecoder, LineLongerThanMaxRowBytesIsABadRow) {
  DecoderOptions options = json_lines();
  options.max_row_bytes = 12;
  const Decoded out = decode(options, "{\"a\":1}\n{\"a\":\"0123456789\"}\n{\"b\":2}\n");
  EXPECT_EQ(jsons(out), (Strings{R"({"a":1})", "!line is longer than max_row_bytes (12)",
                                 R"({"b":2})"}));
  EXPECT_EQ(out.rows[1].raw, R"({"a":"0123456789"})");
}

TEST(JsonLinesDecoder, BomDroppedAndBinaryRejected) {
  EXPECT_EQ(jsons(decode(json_lines(), "\xEF\xBB\xBF{\"a\":1}\n")), (Strings{R"({"a":1})"}));
  const Decoded out = decode(json_lines(), std::string("\x1f\x8b\x08\0", 4));
  EXPECT_EQ(out.error, "looks binary: NUL byte at offset 3");
  EXPECT_TRUE(out.rows.empty());
}

TEST(JsonArrayDecoder, TopLevelArrayElementsWithTheirLines) {
  const Decoded out = decode(json_array(), "[\n  {\"a\": [1, {\"b\": \"]}\"}]},\n  2,\n  \"x\\\"]\" ,\n"
                                           "  [[]], null, true, -1.5e3,\n  {}\n]\n");
  EXPECT_FALSE(out.error) << *out.error;
  EXPECT_EQ(jsons(out), (Strings{R"({"a": [1, {"b": "]}"}]})", "2", R"("x\"]")", "[[]]", "null",
                                 "true", "-1.5e3", "{}"}));
  EXPECT_EQ(lines(out), (Lines{2, 3, 4, 5, 5, 5, 5, 6}));
}

TEST(JsonArrayDecoder, ArrayAtAMemberPathSkipsLookalikesBeforeAndAfter) {
  const std::string doc = R"({
  "meta": {"items": [0], "data": "[{\"items\": [9]}]", "x": [{"data": {"items": [8]}}]},
  "items": [7],
  "data": {
    "count": 2, "nested": {"items": [6]},
    "items": [
      {"id": 1, "tags": ["a]", "\"b\""], "o": {"items": []}},
      {"id": 2}
    ],
    "after": [5]
  },
  "tail": "}]"
})";
  const Decoded out = decode(json_array("$.data.items"), doc);
  EXPECT_FALSE(out.error) << *out.error;
  EXPECT_EQ(jsons(out),
            (Strings{R"({"id": 1, "tags": ["a]", "\"b\""], "o": {"items": []}})", R"({"id": 2})"}));
  EXPECT_EQ(lines(out), (Lines{7, 8}));
}

TEST(JsonArrayDecoder, EmptyArrayGivesNoRows) {
  EXPECT_EQ(decode(json_array(), " [ ] "), Decoded{});
  EXPECT_EQ(decode(json_array("$.a"), R"({"a": []})"), Decoded{});
}

TEST(JsonArrayDecoder, InvalidElementIsABadRowTheRestSurvive) {
  const Decoded out = decode(json_array(), R"([{"a": 1}, {"a": tru}, "bad \x escape", 01, {"a": 3}])");
  EXPECT_FALSE(out.error);
  ASSERT_EQ(out.rows.size(), 5u);
  EXPECT_EQ(out.rows[1].raw, R"({"a": tru})");
  EXPECT_TRUE(out.rows[1].error.starts_with("invalid JSON: ")) << out.rows[1].error;
  EXPECT_FALSE(out.rows[2].error.empty());
  EXPECT_FALSE(out.rows[3].error.empty());
  EXPECT_EQ(out.rows[4].json, R"({"a": 3})");
}

TEST(JsonArrayDecoder, PathNotFoundIsAWholeFileError) {
  EXPECT_EQ(decode(json_array("$.data.items"), R"({"data": {"item": [1]}, "items": [2]})").error,
            "no array at $.data.items");
  EXPECT_EQ(decode(json_array("$.data"), "[1, 2]").error, "no array at $.data");
  EXPECT_EQ(decode(json_array(), "  \n").error, "no array at $: the file holds no JSON");
}

TEST(JsonArrayDecoder, ValueAtPathNotAnArray) {
  EXPECT_EQ(decode(json_array(), R"({"items": []})").error,
            "the value at $ is not an array (it is an object) at line 1");
  EXPECT_EQ(decode(json_array("$.data"), "{\n\"data\": \"[1]\"}").error,
            "the value at $.data is not an array (it is a string) at line 2");
  EXPECT_EQ(decode(json_array("$.data"), R"({"data": 12})").error,
            "the value at $.data is not an array (it is a number) at line 1");
}

TEST(JsonArrayDecoder, TruncatedDocumentKeepsTheCompleteElements) {
  const Decoded out = decode(json_array("$.a"), "{\"a\": [{\"x\": 1}, {\"x\": \"un");
  EXPECT_EQ(jsons(out), (Strings{R"({"x": 1})"}));
  EXPECT_EQ(out.error, "truncated JSON document: the file ends inside a string (line 1)");
  EXPECT_EQ(decode(json_array(), "[1, 2").error,
            "truncated JSON document: the file ends inside an array (line 1)");
  EXPECT_EQ(decode(json_array("$.a"), R"({"a": [1]}, )").error,
            "unexpected ',' after the end of the JSON document at line 1");
}

TEST(JsonArrayDecoder, StructuralErrorsAreWholeFileErrors) {
  EXPECT_EQ(decode(json_array(), "[1, 2}").error, "malformed JSON: unexpected '}' at line 1");
  EXPECT_EQ(decode(json_array(), "[1 2]").error, "malformed JSON: unexpected '2' at line 1");
  EXPECT_EQ(decode(json_array(), "[1,,2]").error, "malformed JSON: unexpected ',' at line 1");
  EXPECT_EQ(decode(json_array(), "[1,]").error, "malformed JSON: unexpected ']' at line 1");
  EXPECT_EQ(decode(json_array(), "[{\"a\" 1}]").error, "malformed JSON: unexpected '1' at line 1");
}

TEST(JsonArrayDecoder, ElementLongerThanMaxRowBytesIsABadRow) {
  DecoderOptions options = json_array();
  options.max_row_bytes = 10;
  const Decoded out = decode(options, R"([1, {"long": "0123456789"}, 3])");
  EXPECT_EQ(jsons(out), (Strings{"1", "!element is longer than max_row_bytes (10)", "3"}));
  EXPECT_EQ(out.rows[1].raw, R"({"long": "0123456789"})");
}

TEST(JsonArrayDecoder, RecordsPathSyntaxIsValidated) {
  for (const char* bad : {"", "data", "$.", "$..a", "$.a[0]", "$.items[*]", "$[0]"}) {
    const Status status = validate(json_array(bad));
    ASSERT_FALSE(status) << bad;
    EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidConfig);
  }
  EXPECT_EQ(validate(json_array("$.a[0]")).error().message(),
            "records_path \"$.a[0]\": only member names are supported, not [index], * or quotes "
            "(expected \"$\" or \"$.member.member\")");
  EXPECT_TRUE(validate(json_array("$")));
  EXPECT_TRUE(validate(json_array("$.data.items")));
}

}  // namespace
}  // namespace weft::files

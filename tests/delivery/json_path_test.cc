#include "delivery/json_path.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace weft {
namespace {

using nlohmann::json;

const json kDoc = json::parse(R"({
  "id": "evt_1",
  "n": 42,
  "data": {"object": {"id": "cus_9"}, "gone": null, "tag": "x"},
  "items": [{"sku": "A-1"}, {"sku": "B-2"}],
  "odd key": {"it's": true}
})");

std::string find_text(std::string_view path) {
  auto parsed = JsonPath::parse(path);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message();
  if (!parsed) return "";
  auto found = parsed->find(kDoc);
  if (!found) return "error: " + found.error().message();
  return (*found)->dump();
}

TEST(JsonPathTest, FindsValues) {
  EXPECT_EQ(find_text("$.id"), R"("evt_1")");
  EXPECT_EQ(find_text("$.n"), "42");
  EXPECT_EQ(find_text("$.data.object.id"), R"("cus_9")");
  EXPECT_EQ(find_text("$.items[1].sku"), R"("B-2")");
  EXPECT_EQ(find_text("$['odd key']"), R"({"it's":true})");
  EXPECT_EQ(find_text(R"($["odd key"]['it\'s'])"), "true");
  EXPECT_EQ(find_text("$.items[0]"), R"({"sku":"A-1"})");
}

TEST(JsonPathTest, DollarAloneIsTheWholeDocument) {
  auto path = JsonPath::parse("$");
  ASSERT_TRUE(path.ok());
  auto found = path->find(kDoc);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, &kDoc);
}

TEST(JsonPathTest, MissingValuesSayWhatIsMissingAndWhere) {
  EXPECT_EQ(find_text("$.nope"), "error: field 'nope' is missing");
  EXPECT_EQ(find_text("$.data.id"), "error: field 'data.id' is missing");
  EXPECT_EQ(find_text("$.data.object.x.y"),
            "error: field 'data.object.x.y' is missing ('data.object' has no 'x')");
  EXPECT_EQ(find_text("$.nope.id"), "error: field 'nope.id' is missing (the value has no 'nope')");
  EXPECT_EQ(find_text("$.data.tag.id"),
            "error: field 'data.tag.id' is missing ('data.tag' is a string, not an object)");
  EXPECT_EQ(find_text("$.items[5].sku"),
            "error: field 'items[5].sku' is missing ('items' has 2 elements)");
  EXPECT_EQ(find_text("$.data[0]"),
            "error: field 'data[0]' is missing ('data' is an object, not an array)");
  EXPECT_EQ(find_text("$.data.gone"), "error: field 'data.gone' is null");
  EXPECT_EQ(find_text("$.data.gone.id"),
            "error: field 'data.gone.id' is missing ('data.gone' is null)");
  EXPECT_EQ(find_text("$['odd key'].x"), "error: field '['odd key'].x' is missing");
}

TEST(JsonPathTest, MissingIsPermanent) {
  auto found = JsonPath::parse("$.x")->find(kDoc);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().kind(), ErrorKind::kPermanent);
}

TEST(JsonPathTest, NonObjectRoot) {
  auto found = JsonPath::parse("$.x")->find(json::array());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().message(), "field 'x' is missing (the value is an array, not an object)");
}

std::string parse_error(std::string_view path, std::size_t offset = 0) {
  auto parsed = JsonPath::parse(path, offset);
  if (parsed) return "parsed";
  EXPECT_EQ(parsed.error().kind(), ErrorKind::kInvalidConfig);
  return parsed.error().message();
}

TEST(JsonPathTest, SyntaxErrorsNameTheCharacter) {
  EXPECT_EQ(parse_error("id"), "bad JSON path 'id': a path must start with '$' at character 1");
  EXPECT_EQ(parse_error("$."), "bad JSON path '$.': empty field name after '.' at character 2");
  EXPECT_EQ(parse_error("$.a..b"),
            "bad JSON path '$.a..b': empty field name after '.' at character 4");
  EXPECT_EQ(parse_error("$.a[x]"),
            "bad JSON path '$.a[x]': expected an index like [0] or a quoted key like ['name'] at "
            "character 4");
  EXPECT_EQ(parse_error("$.a[-1]"),
            "bad JSON path '$.a[-1]': expected an index like [0] or a quoted key like ['name'] at "
            "character 4");
  EXPECT_EQ(parse_error("$['a"), "bad JSON path '$['a': unclosed quote in '[' at character 2");
  EXPECT_EQ(parse_error("$['a'x"),
            "bad JSON path '$['a'x': expected ']' after the quoted key at character 6");
  EXPECT_EQ(parse_error("$.a b"),
            "bad JSON path '$.a b': unexpected ' ' (expected '.' or '[') at "
            "character 4");
  EXPECT_EQ(parse_error("$.a..b", 10),
            "bad JSON path '$.a..b': empty field name after '.' at character 14");
}

TEST(JsonPathTest, DisplayDropsTheDollar) {
  EXPECT_EQ(JsonPath::parse("$.items[0].sku")->display(), "items[0].sku");
  EXPECT_EQ(JsonPath::parse("$['a.b'].c")->display(), "['a.b'].c");
  EXPECT_EQ(JsonPath::parse("$['a.b'].c")->text(), "$['a.b'].c");
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST(JsonPathWildcards, AreRefusedUnlessTheCallerAllowsThem) {
  auto refused = JsonPath::parse("$.items[*].sku");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("wildcards are not allowed"), std::string::npos);
  auto allowed = JsonPath::parse("$.items[*].sku", 0, true);
  ASSERT_TRUE(allowed.ok());
  EXPECT_TRUE(allowed->has_wildcard());
  EXPECT_EQ(allowed->display(), "items[*].sku");
}

TEST(JsonPathWildcards, CollectWalksArraysAndObjects) {
  auto doc = nlohmann::json::parse(R"({"a": {"x": {"v": 1}, "y": {"v": 2}, "z": {}}})");
  auto path = JsonPath::parse("$.a.*.v", 0, true);
  ASSERT_TRUE(path.ok());
  nlohmann::json out = nlohmann::json::array();
  path->collect(doc, out);
  EXPECT_EQ(out, nlohmann::json::array({1, 2}));
}

TEST(JsonPathLookup, ReturnsNullForAbsentOrNullValues) {
  auto doc = nlohmann::json::parse(R"({"a": [{"b": null}, {"b": 7}]})");
  EXPECT_EQ(*JsonPath::parse("$.a[1].b")->lookup(doc), 7);
  EXPECT_EQ(JsonPath::parse("$.a[0].b")->lookup(doc), nullptr);
  EXPECT_EQ(JsonPath::parse("$.a[5].b")->lookup(doc), nullptr);
  EXPECT_EQ(JsonPath::parse("$.a.b")->lookup(doc), nullptr);
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST(JsonPathPointerTest, NamesIndicesAndEscapes) {
  EXPECT_EQ(JsonPath::parse("$").value().json_pointer(), "");
  EXPECT_EQ(JsonPath::parse("$.data.items[2].id").value().json_pointer(), "/data/items/2/id");
  EXPECT_EQ(JsonPath::parse("$['a/b']['c~d']").value().json_pointer(), "/a~1b/c~0d");
  EXPECT_EQ(JsonPath::parse("$.items[*].id", 0, true).value().json_pointer(), std::nullopt);
}

}  // namespace
}  // namespace weft

#include "rest/page_parser.h"

#include <gtest/gtest.h>

namespace weft::rest {
namespace {

using nlohmann::json;

JsonPath path(const char* text) { return JsonPath::parse(text).value(); }

TEST(PageParserTest, SplitsRecordsAsTheirTextAndKeepsTheRestOfTheBody) {
  const JsonPath records = path("$.data");
  PageParser parser(records);
  const std::string body =
      R"({"object":"list", "data": [ {"id":"a]","n":[1,[2]]} , {"id":"b\"[","n":2} ] ,"has_more":true})";
  ASSERT_TRUE(parser.parse(body).ok());
  ASSERT_EQ(parser.records().size(), 2u);
  EXPECT_EQ(parser.records()[0], R"({"id":"a]","n":[1,[2]]})");
  EXPECT_EQ(parser.records()[1], R"({"id":"b\"[","n":2})");
  EXPECT_EQ(parser.rest(), json({{"object", "list"}, {"data", json::array()}, {"has_more", true}}));
}

TEST(PageParserTest, ABodyThatIsTheArrayAndNestedOrEmptyArrays) {
  const JsonPath whole = path("$");
  PageParser top(whole);
  ASSERT_TRUE(top.parse(R"([1, "two", {"three": 3}, null])").ok());
  EXPECT_EQ(top.records(),
            (std::vector<std::string_view>{"1", R"("two")", R"({"three": 3})", "null"}));
  EXPECT_EQ(top.rest(), json::array());

  const JsonPath nested = path("$.result.items");
  PageParser deep(nested);
  ASSERT_TRUE(deep.parse(R"({"result":{"items":[],"total":0}})").ok());
  EXPECT_TRUE(deep.records().empty());
  EXPECT_EQ(deep.rest(), json({{"result", {{"items", json::array()}, {"total", 0}}}}));
}

TEST(PageParserTest, ReadsFieldsOfARecord) {
  const JsonPath records = path("$.items");
  PageParser parser(records);
  ASSERT_TRUE(
      parser.parse(R"({"items":[{"id":7,"at":"2024-01-01T00:00:00Z","o":{"k":"v"},"z":null}]})")
          .ok());
  const std::string_view r = parser.records()[0];
  EXPECT_EQ(parser.field(r, path("$.id")), json(7));
  EXPECT_EQ(parser.field(r, path("$.at")), json("2024-01-01T00:00:00Z"));
  EXPECT_EQ(parser.field(r, path("$.o.k")), json("v"));
  EXPECT_EQ(parser.field(r, path("$.o")), json({{"k", "v"}}));
  EXPECT_TRUE(parser.field(r, path("$.z")).is_null());
  EXPECT_TRUE(parser.field(r, path("$.missing")).is_null());
}

TEST(PageParserTest, SaysWhatIsWrong) {
  const JsonPath records = path("$.data");
  PageParser parser(records);
  Status html = parser.parse("<html>maintenance</html>");
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().message(), "the response is not JSON");
  Status missing = parser.parse(R"({"items":[1],"next":null})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "records path '$.data' found nothing, not an array (the response has: items, next)");
  Status object = parser.parse(R"({"data":{"a":1}})");
  ASSERT_FALSE(object.ok());
  EXPECT_NE(object.error().message().find("found something else, not an array"), std::string::npos);
  EXPECT_FALSE(parser.parse(R"({"data":[1,2)").ok());
}

}  // namespace
}  // namespace weft::rest

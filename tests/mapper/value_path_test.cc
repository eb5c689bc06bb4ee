#include "mapper/value_path.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace weft {
namespace {

using nlohmann::json;

Record sample_record() {
  Record r;
  r.key = "cus_1";
  r.id = "evt_9";
  r.op = Operation::kUpdate;
  r.position = "0/16B3748";
  r.headers = {{"table", "customers"}, {"x-request-id", "req-7"}};
  r.before = Payload::from_json(json{{"email", "old@example.com"}});
  r.value = Payload::from_json(json{
      {"data", {{"object", {{"email", "new@example.com"}, {"name", nullptr}}}}},
      {"items", json::array({{{"sku", "A"}}, {{"sku", "B"}}, {{"qty", 3}}})}});
  return r;
}

json read(const std::string& text, const Record& r) {
  auto path = ValuePath::parse(text);
  EXPECT_TRUE(path.ok()) << (path.ok() ? "" : path.error().message());
  if (!path.ok()) return "<parse error>";
  json scratch;
  const json* found = path->find(r, r.value.json(), scratch);
  return found == nullptr ? json("<absent>") : *found;
}

TEST(ValuePath, ReadsTheValueByJsonPath) {
  Record r = sample_record();
  EXPECT_EQ(read("$.data.object.email", r), "new@example.com");
  EXPECT_EQ(read("$.items[1].sku", r), "B");
  EXPECT_EQ(read("$.data.object.missing", r), "<absent>");
  EXPECT_EQ(read("$.data.object.name", r), "<absent>") << "null reads as absent";
}

TEST(ValuePath, WildcardsCollectEveryMatchSkippingAbsentOnes) {
  Record r = sample_record();
  EXPECT_EQ(read("$.items[*].sku", r), json::array({"A", "B"}));
  EXPECT_EQ(read("$.data.*.email", r), json::array({"new@example.com"}));
  EXPECT_EQ(read("$.nothing[*]", r), json::array());
}

TEST(ValuePath, ReadsMetadataAndTheBeforeImage) {
  Record r = sample_record();
  EXPECT_EQ(read("@key", r), "cus_1");
  EXPECT_EQ(read("@id", r), "evt_9");
  EXPECT_EQ(read("@op", r), "update");
  EXPECT_EQ(read("@position", r), "0/16B3748");
  EXPECT_EQ(read("@headers.table", r), "customers");
  EXPECT_EQ(read("@headers['x-request-id']", r), "req-7");
  EXPECT_EQ(read("@headers.schema", r), "<absent>");
  EXPECT_EQ(read("@before.email", r), "old@example.com");
  EXPECT_EQ(read("@event_time", r), "<absent>");
  r.event_time = Clock::time_point(std::chrono::seconds(1700000000));
  EXPECT_EQ(read("@event_time", r), "2023-11-14T22:13:20Z");
}

TEST(ValuePath, TopFieldNamesWhatDriftTrackingCounts) {
  EXPECT_EQ(ValuePath::parse("$.data.object.id")->top_field(), "data");
  EXPECT_EQ(ValuePath::parse("$['odd key'].x")->top_field(), "odd key");
  EXPECT_EQ(ValuePath::parse("@before.email")->top_field(), "");
  EXPECT_EQ(ValuePath::parse("$")->top_field(), "");
}

TEST(ValuePath, BadPathsSayWhatIsWrongAndWhere) {
  auto no_root = ValuePath::parse("data.email");
  ASSERT_FALSE(no_root.ok());
  EXPECT_NE(no_root.error().message().find("starts with '$'"), std::string::npos);
  auto unknown = ValuePath::parse("@table");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("unknown metadata '@table'"), std::string::npos);
  auto trailing = ValuePath::parse("@op.x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message().find("takes no path"), std::string::npos);
  auto header = ValuePath::parse("@headers.a.b");
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.error().message().find("@headers.NAME"), std::string::npos);
  auto bracket = ValuePath::parse("$.items[x]", 10);
  ASSERT_FALSE(bracket.ok());
  EXPECT_NE(bracket.error().message().find("character 18"), std::string::npos)
      << bracket.error().message();
}

}  // namespace
}  // namespace weft

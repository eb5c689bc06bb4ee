#include "rest/cursor_value.h"

#include <gtest/gtest.h>

namespace weft::rest {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

CursorValue from(const nlohmann::json& j, CursorType type = CursorType::kAuto) {
  auto v = CursorValue::from_json(j, type);
  EXPECT_TRUE(v.ok()) << v.error().message();
  return *v;
}

TEST(CursorValueTest, NumbersCompareNumericallyNotAsText) {
  EXPECT_TRUE(from(9) < from(10));
  EXPECT_TRUE(from("9") < from("10"));  // numeric text in auto mode is a number
  EXPECT_EQ(from(1700000000).text(), "1700000000");
}

TEST(CursorValueTest, TimestampsCompareByInstantAcrossZones) {
  EXPECT_TRUE(from("2024-05-01T10:00:00+02:00") < from("2024-05-01T09:00:00Z"));
  EXPECT_TRUE(from("2024-05-01 09:59:59") < from("2024-05-01T10:00:00Z"));
  EXPECT_TRUE(from("2024-05-01T10:00:00.100Z") < from("2024-05-01T10:00:00.2Z"));
}

TEST(CursorValueTest, LookbackKeepsTheApisLayout) {
  EXPECT_EQ(from("2024-05-01T10:00:00Z").minus(hours(1)).text(), "2024-05-01T09:00:00Z");
  EXPECT_EQ(from("2024-05-01 00:10:00").minus(minutes(20)).text(), "2024-04-30 23:50:00");
  EXPECT_EQ(from("2024-05-01T10:00:00.250Z").minus(minutes(1)).text(), "2024-05-01T09:59:00.250Z");
  EXPECT_EQ(from("2024-05-01T10:00:00+02:00").minus(minutes(0)).text(),
            "2024-05-01T10:00:00+02:00");
  EXPECT_EQ(from(1700003600).minus(hours(1)).text(), "1700000000");
  EXPECT_EQ(from(1700003600000, CursorType::kEpochMillis).minus(hours(1)).text(), "1700000000000");
}

TEST(CursorValueTest, IdsAndStringsHaveNoLookback) {
  EXPECT_FALSE(from(42, CursorType::kNumber).supports_lookback());
  EXPECT_EQ(from(42, CursorType::kNumber).minus(hours(1)).text(), "42");
  EXPECT_FALSE(from("abc").supports_lookback());
}

TEST(CursorValueTest, RoundTripsThroughTheCheckpoint) {
  for (const nlohmann::json& j :
       {nlohmann::json(1700000000), nlohmann::json("2024-05-01T10:00:00Z"),
        nlohmann::json("2024-05-01 10:00:00"), nlohmann::json("b-17")}) {
    auto v = from(j);
    auto back = from(v.to_json());
    EXPECT_FALSE(v < back);
    EXPECT_FALSE(back < v);
    EXPECT_EQ(back.text(), v.text());
  }
}

TEST(CursorValueTest, WrongShapesAreClearErrors) {
  auto object = CursorValue::from_json(nlohmann::json::object(), CursorType::kAuto);
  ASSERT_FALSE(object.ok());
  EXPECT_NE(object.error().message().find("neither a number nor a string"), std::string::npos);
  auto not_time = CursorValue::from_text("yesterday", CursorType::kTimestamp);
  ASSERT_FALSE(not_time.ok());
  EXPECT_NE(not_time.error().message().find("'yesterday' is not a timestamp"), std::string::npos);
  EXPECT_FALSE(CursorValue::from_text("12a", CursorType::kEpochSeconds).ok());
}

TEST(CursorValueTest, ParsesTimestampFormsApisUse) {
  EXPECT_TRUE(parse_timestamp("2024-02-29T23:59:59Z"));
  EXPECT_TRUE(parse_timestamp("2024-02-29T23:59:59.123456+0530"));
  EXPECT_FALSE(parse_timestamp("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(parse_timestamp("2024-05-01"));
  EXPECT_FALSE(parse_timestamp("2024-05-01T10:00:00Zjunk"));
}

}  // namespace
}  // namespace weft::rest

#include "mapper/value_type.h"

#include <gtest/gtest.h>

#include <string>

namespace weft {
namespace {

ValueType parse_ok(std::string_view text) {
  auto parsed = parse_value_type(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error().message();
  return parsed ? *parsed : ValueType{};
}

std::string parse_error(std::string_view text) {
  auto parsed = parse_value_type(text);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << parsed->name();
  if (parsed) return "";
  EXPECT_EQ(parsed.error().kind(), ErrorKind::kInvalidConfig);
  return parsed.error().message();
}

TEST(ValueTypeTest, ParsesEveryScalarType) {
  const std::pair<const char*, ValueKind> cases[] = {
      {"string", ValueKind::kString}, {"int", ValueKind::kInt},
      {"float", ValueKind::kFloat},   {"decimal", ValueKind::kDecimal},
      {"bool", ValueKind::kBool},     {"timestamp", ValueKind::kTimestamp},
      {"date", ValueKind::kDate},     {"json", ValueKind::kJson},
  };
  for (const auto& [text, kind] : cases) {
    ValueType type = parse_ok(text);
    EXPECT_EQ(type.kind, kind) << text;
    EXPECT_EQ(type.element, nullptr) << text;
    EXPECT_EQ(type.name(), text);
  }
}

TEST(ValueTypeTest, ParsesArrays) {
  ValueType type = parse_ok("array<timestamp>");
  EXPECT_EQ(type.kind, ValueKind::kArray);
  ASSERT_NE(type.element, nullptr);
  EXPECT_EQ(type.element->kind, ValueKind::kTimestamp);
  EXPECT_EQ(type.name(), "array<timestamp>");
}

TEST(ValueTypeTest, ParsesNestedArrays) {
  ValueType type = parse_ok("array<array<int>>");
  ASSERT_EQ(type.kind, ValueKind::kArray);
  ASSERT_EQ(type.element->kind, ValueKind::kArray);
  EXPECT_EQ(type.element->element->kind, ValueKind::kInt);
  EXPECT_EQ(type.name(), "array<array<int>>");
}

TEST(ValueTypeTest, ToleratesSpaces) {
  EXPECT_EQ(parse_ok("  string ").name(), "string");
  EXPECT_EQ(parse_ok("array < string >").name(), "array<string>");
  EXPECT_EQ(parse_ok("array<array< decimal>>").name(), "array<array<decimal>>");
}

TEST(ValueTypeTest, NameRoundTrips) {
  for (const char* text : {"json", "array<json>", "array<array<array<bool>>>", "array<date>"}) {
    EXPECT_EQ(parse_ok(parse_ok(text).name()), parse_ok(text)) << text;
  }
}

TEST(ValueTypeTest, DefaultIsJson) {
  EXPECT_EQ(ValueType{}.name(), "json");
  EXPECT_EQ(ValueType{}, parse_ok("json"));
}

TEST(ValueTypeTest, EqualityComparesElementTypes) {
  EXPECT_EQ(parse_ok("array<int>"), parse_ok("array<int>"));
  EXPECT_FALSE(parse_ok("array<int>") == parse_ok("array<float>"));
  EXPECT_FALSE(parse_ok("array<int>") == parse_ok("int"));
  EXPECT_FALSE(parse_ok("string") == parse_ok("date"));
  EXPECT_EQ(parse_ok("array<array<string>>"), parse_ok("array<array<string>>"));
  EXPECT_FALSE(parse_ok("array<array<string>>") == parse_ok("array<string>"));
}

TEST(ValueTypeTest, UnknownTypeListsTheValidOnes) {
  EXPECT_EQ(parse_error("strng"),
            "unknown type 'strng'; types: string, int, float, decimal, bool, timestamp, date, "
            "json, array<T>");
  EXPECT_NE(parse_error("integer").find("unknown type 'integer'"), std::string::npos);
  // Types are written in lowercase, like the rest of a model.
  EXPECT_NE(parse_error("String").find("unknown type 'String'"), std::string::npos);
}

TEST(ValueTypeTest, UnknownElementTypeNamesTheWholeType) {
  EXPECT_EQ(parse_error("array<strng>"),
            "unknown type 'strng' in 'array<strng>'; types: string, int, float, decimal, bool, "
            "timestamp, date, json, array<T>");
}

TEST(ValueTypeTest, RejectsMalformedArrays) {
  EXPECT_NE(parse_error("array").find("needs an element type"), std::string::npos);
  EXPECT_NE(parse_error("array<>").find("empty element type in 'array<>'"), std::string::npos);
  EXPECT_NE(parse_error("array<int").find("bad type 'array<int'"), std::string::npos);
  EXPECT_NE(parse_error("array[int]").find("bad type 'array[int]'"), std::string::npos);
  EXPECT_NE(parse_error("array<int>>").find("unknown type 'int>'"), std::string::npos);
}

TEST(ValueTypeTest, RejectsEmpty) {
  EXPECT_NE(parse_error("").find("empty type"), std::string::npos);
  EXPECT_NE(parse_error("   ").find("empty type"), std::string::npos);
}

TEST(ValueTypeTest, DeepNestingDoesNotRecurseInTheParser) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "array<";
  text += "int";
  for (int i = 0; i < 2000; ++i) text += ">";
  ValueType type = parse_ok(text);
  int depth = 0;
  const ValueType* t = &type;
  while (t->kind == ValueKind::kArray) {
    t = t->element.get();
    ++depth;
  }
  EXPECT_EQ(depth, 2000);
  EXPECT_EQ(t->kind, ValueKind::kInt);
}

}  // namespace
}  // namespace weft

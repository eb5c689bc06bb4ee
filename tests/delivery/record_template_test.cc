#include "delivery/record_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace weft {
namespace {

Record make_record() {
  Record record;
  record.key = "k-1";
  record.id = "evt_1";
  record.op = Operation::kUpdate;
  record.position = "0/16B3748";
  record.value = Payload::from_text(R"({
    "id": "ch_1", "created": 1700000000, "paid": true, "amount": 12.5,
    "customer": {"id": "cus_9"},
    "items": [{"sku": "A-1"}],
    "meta": {"a": [1, 2], "b": null},
    "odd key": "odd"
  })");
  record.headers = {{"schema", "public"}, {"table", "orders"}, {"empty", ""}};
  return record;
}

std::string render(std::string_view text, const Record& record = make_record()) {
  auto tmpl = RecordTemplate::parse(text);
  EXPECT_TRUE(tmpl.ok()) << tmpl.error().message();
  if (!tmpl) return "";
  auto out = tmpl->render(record);
  if (!out) return "error: " + out.error().message();
  return *out;
}

TEST(RecordTemplateTest, WholeTextPath) {
  EXPECT_EQ(render("$.id"), "ch_1");
  EXPECT_EQ(render("$.customer.id"), "cus_9");
  EXPECT_EQ(render("$.items[0].sku"), "A-1");
  EXPECT_EQ(render("$['odd key']"), "odd");
}

TEST(RecordTemplateTest, JsonValuesRenderAsJson) {
  EXPECT_EQ(render("$.created"), "1700000000");
  EXPECT_EQ(render("$.paid"), "true");
  EXPECT_EQ(render("$.amount"), "12.5");
  EXPECT_EQ(render("$.meta.a"), "[1,2]");
  EXPECT_EQ(render("$.customer"), R"({"id":"cus_9"})");
}

TEST(RecordTemplateTest, PlaceholdersAndLiterals) {
  EXPECT_EQ(render("stripe:{$.id}"), "stripe:ch_1");
  EXPECT_EQ(render("{$.customer.id}-{$.created}"), "cus_9-1700000000");
  EXPECT_EQ(render("{key}/{id}/{op}/{position}"), "k-1/evt_1/update/0/16B3748");
  EXPECT_EQ(render("dbserver1.{schema}.{table}"), "dbserver1.public.orders");
  EXPECT_EQ(render("{headers.table}"), "orders");
  EXPECT_EQ(render("[{ $.id }]"), "[ch_1]");
  EXPECT_EQ(render("x{empty}y"), "xy");  // a header that is present but empty is not missing
  EXPECT_EQ(render("price $5"), "price $5");
}

TEST(RecordTemplateTest, DoubledBracesAreLiteral) {
  EXPECT_EQ(render("{{{$.id}}}"), "{ch_1}");
  EXPECT_EQ(render("a{{b}}c"), "a{b}c");
}

TEST(RecordTemplateTest, QuotedKeysMayHoldBraces) {
  Record record = make_record();
  record.value = Payload::from_json(nlohmann::json{{"a}b", "v"}});
  EXPECT_EQ(render("<{$['a}b']}>", record), "<v>");
}

TEST(RecordTemplateTest, IsConstant) {
  EXPECT_TRUE(RecordTemplate::parse("orders-{{v2}}")->is_constant());
  EXPECT_FALSE(RecordTemplate::parse("orders-{table}")->is_constant());
  EXPECT_FALSE(RecordTemplate::parse("$.id")->is_constant());
  EXPECT_EQ(RecordTemplate::parse("a{{b")->text(), "a{{b");
}

TEST(RecordTemplateTest, MissingFieldsAreClearPermanentErrors) {
  EXPECT_EQ(render("{$.x}"), "error: template '{$.x}': field 'x' is missing");
  EXPECT_EQ(render("$.data.id"),
            "error: template '$.data.id': field 'data.id' is missing "
            "(the value has no 'data')");
  EXPECT_EQ(render("$.meta.b"), "error: template '$.meta.b': field 'meta.b' is null");
  EXPECT_EQ(render("dbserver1.{schema}.{db}"),
            "error: template 'dbserver1.{schema}.{db}': header 'db' is missing");

  auto out = RecordTemplate::parse("{$.x}")->render(make_record());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind(), ErrorKind::kPermanent);
}

TEST(RecordTemplateTest, EmptyRecordFieldsCountAsMissing) {
  Record record;
  EXPECT_EQ(render("{id}", record), "error: template '{id}': the record has no id");
  EXPECT_EQ(render("{key}", record), "error: template '{key}': the record has no key");
  EXPECT_EQ(render("{position}", record),
            "error: template '{position}': the record has no position");
  EXPECT_EQ(render("{op}", record), "none");
}

TEST(RecordTemplateTest, InvalidJsonValueIsReported) {
  Record record = make_record();
  record.value = Payload::from_text("{not json");
  EXPECT_EQ(render("k-{$.id}", record),
            "error: template 'k-{$.id}': cannot read field 'id': value is not valid JSON");
  EXPECT_EQ(render("{key}", record), "k-1");  // only paths need the value
}

TEST(RecordTemplateTest, EmptyValueHasNoFields) {
  Record record = make_record();
  record.value = Payload();
  EXPECT_EQ(render("$.id", record),
            "error: template '$.id': field 'id' is missing (the value is null, not an object)");
}

std::string parse_error(std::string_view text) {
  auto tmpl = RecordTemplate::parse(text);
  if (tmpl) return "parsed";
  EXPECT_EQ(tmpl.error().kind(), ErrorKind::kInvalidConfig);
  return tmpl.error().message();
}

TEST(RecordTemplateTest, ParseErrorsNameTheTemplateAndPosition) {
  EXPECT_EQ(parse_error(""), "template '': the template is empty");
  EXPECT_EQ(parse_error("ab{$.id"), "template 'ab{$.id': unclosed '{' at character 3");
  EXPECT_EQ(parse_error("a{}b"), "template 'a{}b': empty placeholder '{}' at character 2");
  EXPECT_EQ(parse_error("a{  }b"), "template 'a{  }b': empty placeholder '{}' at character 2");
  EXPECT_EQ(parse_error("a}b"),
            "template 'a}b': unmatched '}' at character 2 (write '}}' for a literal brace)");
  EXPECT_EQ(parse_error("{a{b}}"),
            "template '{a{b}}': unexpected '{' at character 3 inside the placeholder opened at "
            "character 1");
  EXPECT_EQ(parse_error("{headers.}"), "template '{headers.}': empty header name at character 1");
  EXPECT_EQ(parse_error("id-{$.a..b}"),
            "template 'id-{$.a..b}': bad JSON path '$.a..b': empty field name after '.' at "
            "character 8");
  EXPECT_EQ(parse_error("$.a..b"),
            "template '$.a..b': bad JSON path '$.a..b': empty field name after '.' at character 4");
  EXPECT_EQ(parse_error("$.id-{x}"),
            "template '$.id-{x}': bad JSON path '$.id-{x}': unexpected '{' (expected '.' or '[') "
            "at character 6");
}

}  // namespace
}  // namespace weft

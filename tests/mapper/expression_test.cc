#include "mapper/expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace weft {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Expression compile(std::string_view text) {
  auto expression = Expression::parse(text);
  EXPECT_TRUE(expression.ok()) << text << ": "
                               << (expression.ok() ? "" : expression.error().message());
  return expression.ok() ? std::move(*expression) : Expression{};
}

bool holds(std::string_view text, const json& value, const Record& record = {}) {
  return compile(text).test(record, value);
}

json eval(std::string_view text, const json& value = json::object(), const Record& record = {}) {
  return compile(text).evaluate(record, value);
}

// The message of a parse that must fail, or a marker that makes the comparison fail.
std::string parse_error(std::string_view text, std::size_t offset = 0) {
  auto expression = Expression::parse(text, offset);
  if (expression.ok()) return "<parsed>";
  EXPECT_EQ(expression.error().kind(), ErrorKind::kInvalidConfig);
  return expression.error().message();
}

std::string call_error(std::string_view text, std::size_t offset = 0) {
  auto call = parse_call(text, offset);
  if (call.ok()) return "<parsed>";
  EXPECT_EQ(call.error().kind(), ErrorKind::kInvalidConfig);
  return call.error().message();
}

const json kStripeEvent = {
    {"type", "customer.created"},
    {"created_at", "2026-03-14T09:26:53Z"},
    {"data", {{"object", {{"id", "cus_1"}, {"deleted", false}, {"balance", 0}}}}},
};

TEST(Expression, StripeEventFilter) {
  const std::string filter = "$.type == 'customer.created' and not $.data.object.deleted";
  EXPECT_TRUE(holds(filter, kStripeEvent));

  json deleted = kStripeEvent;
  deleted["data"]["object"]["deleted"] = true;
  EXPECT_FALSE(holds(filter, deleted));

  json other = kStripeEvent;
  other["type"] = "customer.updated";
  EXPECT_FALSE(holds(filter, other));

  json without_flag = kStripeEvent;
  without_flag["data"]["object"].erase("deleted");
  EXPECT_TRUE(holds(filter, without_flag)) << "an absent flag is falsy";
}

TEST(Expression, AmountOrCurrency) {
  const std::string filter = "$.amount >= 1000 or $.currency in ['EUR', 'GBP']";
  EXPECT_TRUE(holds(filter, {{"amount", 1000}, {"currency", "USD"}}));
  EXPECT_TRUE(holds(filter, {{"amount", 5}, {"currency", "GBP"}}));
  EXPECT_FALSE(holds(filter, {{"amount", 999.99}, {"currency", "USD"}}));
  EXPECT_FALSE(holds(filter, {{"amount", "5000"}, {"currency", "JPY"}}))
      << "a string amount is not compared with a number";
  EXPECT_FALSE(holds(filter, json::object()));
}

TEST(Expression, EveryComparisonOperator) {
  const json order = {{"total", 250}, {"status", "paid"}};
  struct Case {
    const char* text;
    bool expected;
  };
  for (const Case& c : std::vector<Case>{
           {"$.total == 250", true},       {"$.total == 251", false},
           {"$.total != 251", true},       {"$.total != 250", false},
           {"$.total < 251", true},        {"$.total < 250", false},
           {"$.total <= 250", true},       {"$.total <= 249", false},
           {"$.total > 249", true},        {"$.total > 250", false},
           {"$.total >= 250", true},       {"$.total >= 251", false},
           {"$.status == 'paid'", true},   {"$.status != \"paid\"", false},
           {"$.status < 'pending'", true}, {"$.status > 'open'", true},
           {"$.status <= 'paid'", true},   {"$.status >= 'paic'", true},
           {"250 == $.total", true},       {"'paid' == $.status", true},
       }) {
    EXPECT_EQ(holds(c.text, order), c.expected) << c.text;
  }
}

TEST(Expression, ComparisonsNeedNoSpaces) {
  const json v = {{"a", "x"}, {"odd key", 2}, {"x==y", 1}};
  EXPECT_TRUE(holds("$.a=='x'", v));
  EXPECT_TRUE(holds("$.a!='y'and$.a>='x'", v));
  EXPECT_TRUE(holds("$['odd key']>=2", v));
  EXPECT_TRUE(holds("$[\"x==y\"]==1", v)) << "operators inside quotes belong to the path";
  EXPECT_TRUE(holds("($.a)", v));
  EXPECT_TRUE(holds("$.a in[$.a]", v));
}

TEST(Expression, NumbersCompareByValue) {
  const json v = {{"one", 1}, {"one_float", 1.0}, {"big", 18446744073709551615ULL}, {"neg", -1}};
  EXPECT_TRUE(holds("1 == 1.0", {}));
  EXPECT_TRUE(holds("$.one == 1.0", v));
  EXPECT_TRUE(holds("$.one_float == 1", v));
  EXPECT_TRUE(holds("$.one == $.one_float", v));
  EXPECT_FALSE(holds("$.one != 1.0", v));
  EXPECT_TRUE(holds("$.one in [2, 1.0]", v));
  EXPECT_TRUE(holds("1e3 == 1000", {}));
  EXPECT_TRUE(holds("$.big == 18446744073709551615", v));
  EXPECT_TRUE(holds("$.neg < $.big", v)) << "signed against unsigned compares exactly";
  EXPECT_FALSE(holds("$.big < $.neg", v));
  EXPECT_TRUE(holds("-0.5 < 0", {}));
  EXPECT_TRUE(holds("2.5e-1 == 0.25", {}));
}

TEST(Expression, NumberLiterals) {
  EXPECT_EQ(eval("42"), 42);
  EXPECT_TRUE(eval("42").is_number_integer());
  EXPECT_EQ(eval("-7"), -7);
  EXPECT_EQ(eval("+3"), 3);
  EXPECT_TRUE(eval("2.50").is_number_float());
  EXPECT_DOUBLE_EQ(eval("2.50").get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(eval("-1.5e2").get<double>(), -150.0);
  EXPECT_DOUBLE_EQ(eval("1E-2").get<double>(), 0.01);
  EXPECT_EQ(eval("18446744073709551615"), 18446744073709551615ULL);
}

TEST(Expression, StringLiterals) {
  EXPECT_EQ(eval("'customer.created'"), "customer.created");
  EXPECT_EQ(eval("\"double\""), "double");
  EXPECT_EQ(eval(R"('it\'s')"), "it's");
  EXPECT_EQ(eval(R"("say \"hi\"")"), "say \"hi\"");
  EXPECT_EQ(eval(R"('back\\slash')"), "back\\slash");
  EXPECT_EQ(eval("''"), "");
  EXPECT_EQ(eval("'a, b) [c] == d'"), "a, b) [c] == d") << "quotes hide punctuation";
}

TEST(Expression, IsoTimestampsCompareInTimeOrder) {
  const std::string since = "$.created_at >= '2026-01-01T00:00:00Z'";
  EXPECT_TRUE(holds(since, kStripeEvent));
  EXPECT_FALSE(holds(since, {{"created_at", "2025-12-31T23:59:59Z"}}));
  EXPECT_TRUE(holds("$.created_at < '2026-03-14T09:26:54Z'", kStripeEvent));
  EXPECT_FALSE(holds("$.created_at < '2026-03-14T09:26:53Z'", kStripeEvent));
}

TEST(Expression, CrossTypeComparisonsAreFalse) {
  const json v = {{"amount", 100}, {"flag", true}, {"obj", {{"a", 1}}}, {"list", {1, 2}}};
  EXPECT_FALSE(holds("$.amount == '100'", v));
  EXPECT_TRUE(holds("$.amount != '100'", v));
  EXPECT_FALSE(holds("$.amount < '200'", v));
  EXPECT_FALSE(holds("$.amount >= '1'", v));
  EXPECT_FALSE(holds("$.flag == 1", v));
  EXPECT_FALSE(holds("$.flag > false", v)) << "booleans are not ordered";
  EXPECT_FALSE(holds("$.obj > 1", v));
  EXPECT_FALSE(holds("$.list <= $.list", v));
  EXPECT_FALSE(holds("null < 1", {}));
  EXPECT_FALSE(holds("null <= null", {}));
  EXPECT_TRUE(holds("$.list == $.list", v));
}

TEST(Expression, AbsentPathsAreNull) {
  const json v = {{"explicit_null", nullptr}, {"data", {{"id", "x"}}}};
  EXPECT_EQ(eval("$.missing", v), nullptr);
  EXPECT_EQ(eval("$.data.id.deeper", v), nullptr);
  EXPECT_TRUE(holds("$.missing == null", v));
  EXPECT_TRUE(holds("$.explicit_null == null", v));
  EXPECT_TRUE(holds("$.missing == $.explicit_null", v));
  EXPECT_TRUE(holds("$.missing != 'x'", v));
  EXPECT_FALSE(holds("$.missing == 'x'", v));
  EXPECT_FALSE(holds("$.missing < 1", v));
  EXPECT_FALSE(holds("$.missing > ''", v));
  EXPECT_TRUE(holds("$.missing in [null]", v));
  EXPECT_FALSE(holds("$.missing", v));
}

TEST(Expression, Truthiness) {
  for (const json& falsy : {json(nullptr), json(false), json(""), json(0), json(0.0)}) {
    EXPECT_FALSE(holds("$.v", {{"v", falsy}})) << falsy.dump();
  }
  EXPECT_FALSE(holds("$.v", json::object())) << "absent";
  for (const json& truthy : {json(true), json("x"), json("false"), json(1), json(-1), json(0.5),
                             json::array(), json::object(), json({0})}) {
    EXPECT_TRUE(holds("$.v", {{"v", truthy}})) << truthy.dump();
    EXPECT_FALSE(holds("not $.v", {{"v", truthy}})) << truthy.dump();
  }
  EXPECT_TRUE(holds("true", {}));
  EXPECT_FALSE(holds("null", {}));
  EXPECT_FALSE(holds("'' or 0 or false", {}));
}

TEST(Expression, NotBindsTighterThanAndThanOr) {
  EXPECT_TRUE(holds("true or true and false", {})) << "and binds tighter than or";
  EXPECT_TRUE(holds("false and true or true", {}));
  EXPECT_FALSE(holds("(true or true) and false", {}));
  EXPECT_FALSE(holds("not false and false", {})) << "not binds tighter than and";
  EXPECT_TRUE(holds("not (false and false)", {}));
  EXPECT_TRUE(holds("false or not false", {}));
  EXPECT_TRUE(holds("not not true", {}));
  EXPECT_FALSE(holds("not $.a == 1", {{"a", 1}})) << "not applies to the whole comparison";
  EXPECT_TRUE(holds("not $.currency in ['EUR', 'GBP']", {{"currency", "USD"}}));
}

TEST(Expression, Parentheses) {
  const json v = {{"a", 1}, {"b", 2}, {"c", 3}};
  EXPECT_TRUE(holds("($.a == 1 or $.b == 9) and $.c == 3", v));
  EXPECT_FALSE(holds("$.a == 9 or ($.b == 2 and $.c == 9)", v));
  EXPECT_TRUE(holds("((($.a == 1)))", v));
  EXPECT_TRUE(holds("($.a == 1) == true", v)) << "a parenthesised condition is an operand";
  EXPECT_TRUE(holds("$.a in [($.b == 2), 1]", v));
}

TEST(Expression, InList) {
  const json v = {{"currency", "EUR"}, {"n", 2}, {"home", "EUR"}, {"tags", {"a"}}};
  EXPECT_TRUE(holds("$.currency in ['EUR', 'GBP']", v));
  EXPECT_FALSE(holds("$.currency in ['USD', 'GBP']", v));
  EXPECT_FALSE(holds("$.currency in []", v));
  EXPECT_TRUE(holds("$.n in [1, 2.0, 'two']", v));
  EXPECT_TRUE(holds("$.currency in ['USD', $.home]", v)) << "paths in the list";
  EXPECT_FALSE(holds("'a' in [$.tags]", v)) << "in compares with the elements, not inside them";
}

TEST(Expression, ConditionsEvaluateToBooleans) {
  const json v = {{"a", 1}};
  EXPECT_EQ(eval("$.a == 1", v), true);
  EXPECT_EQ(eval("$.a > 1", v), false);
  EXPECT_EQ(eval("$.a in [1]", v), true);
  EXPECT_EQ(eval("$.a and 'x'", v), true);
  EXPECT_EQ(eval("$.missing or 0", v), false);
  EXPECT_EQ(eval("not $.a", v), false);
  EXPECT_EQ(eval("($.a)", v), 1) << "parentheses alone keep the value";
}

TEST(Expression, MetadataPaths) {
  Record record;
  record.key = "cus_1";
  record.op = Operation::kDelete;
  record.headers = {{"table", "customers"}, {"x-id", "req-7"}};
  record.before = Payload::from_json(json{{"status", "active"}});
  const json value = {{"status", "closed"}};

  EXPECT_TRUE(holds("@op == 'delete'", value, record));
  EXPECT_FALSE(holds("@op == 'create'", value, record));
  EXPECT_TRUE(holds("@headers.table == 'customers'", value, record));
  EXPECT_TRUE(holds("@headers['x-id'] == 'req-7'", value, record));
  EXPECT_TRUE(
      holds("@headers.table == 'customers' and @op in ['update', 'delete']", value, record));
  EXPECT_TRUE(holds("@key == 'cus_1'", value, record));
  EXPECT_TRUE(holds("@before.status != $.status", value, record));
  EXPECT_TRUE(holds("@before.status == 'active'", value, record));
  EXPECT_TRUE(holds("@headers.missing == null", value, record));
  EXPECT_TRUE(holds("@id == null", value, record)) << "an empty id is absent";
  EXPECT_EQ(eval("@headers.table", value, record), "customers");

  Record insert;
  insert.op = Operation::kCreate;
  insert.headers = {{"op", "create"}};
  EXPECT_TRUE(holds("@op == @headers.op", value, insert)) << "each side has its own scratch";
  EXPECT_FALSE(holds("@before.status == 'active'", value, insert)) << "no before-image";
}

TEST(Expression, Wildcards) {
  const json order = {{"items", {{{"sku", "A"}}, {{"sku", "B"}}}}, {"skus", {"A", "B"}}};
  EXPECT_EQ(eval("$.items[*].sku", order), json({"A", "B"}));
  EXPECT_TRUE(holds("$.items[*].sku == $.skus", order));
  EXPECT_TRUE(holds("$.items[*].sku", order));
}

TEST(Expression, PathsTextAndLiteral) {
  const Expression e = compile("$.a == @key or ($.b in [$.c, 'x'] and not @headers.t)");
  std::vector<std::string> paths;
  for (const ValuePath& p : e.paths()) paths.push_back(p.text());
  EXPECT_EQ(paths, (std::vector<std::string>{"$.a", "@key", "$.b", "$.c", "@headers.t"}));
  EXPECT_EQ(e.text(), "$.a == @key or ($.b in [$.c, 'x'] and not @headers.t)");
  EXPECT_FALSE(e.is_literal());

  EXPECT_TRUE(compile("'x'").is_literal());
  EXPECT_TRUE(compile("(42)").is_literal());
  EXPECT_TRUE(compile("null").is_literal());
  EXPECT_TRUE(compile("'x'").paths().empty());
  EXPECT_FALSE(compile("$.a").is_literal());
  EXPECT_FALSE(compile("1 == 1").is_literal());
  EXPECT_FALSE(compile("not true").is_literal());
}

TEST(Expression, SharedCopiesEvaluateAlike) {
  Expression copy;
  {
    const Expression original = compile("$.n > 1");
    copy = original;
  }
  EXPECT_TRUE(copy.test({}, {{"n", 2}}));
  EXPECT_FALSE(Expression{}.test({}, {})) << "a default-constructed expression is false";
}

TEST(ExpressionError, OperandsAndOperators) {
  EXPECT_EQ(parse_error("$.amount >="),
            "bad expression '$.amount >=': expected an operand after '>=' at character 12");
  EXPECT_EQ(parse_error("$.a == 1 and"),
            "bad expression '$.a == 1 and': expected an operand after 'and' at character 13");
  EXPECT_EQ(parse_error("not"),
            "bad expression 'not': expected an operand after 'not' at character 4");
  EXPECT_EQ(parse_error("or $.a"), "bad expression 'or $.a': expected an operand at character 1");
  EXPECT_EQ(parse_error(""), "bad expression '': empty expression at character 1");
  EXPECT_EQ(parse_error("$.a = 1"),
            "bad expression '$.a = 1': '=' is not an operator (did you mean '=='?) at character 5");
  EXPECT_EQ(parse_error("!$.a"),
            "bad expression '!$.a': unexpected '!' (did you mean 'not' or '!='?) at character 1");
  EXPECT_EQ(parse_error("$.a && $.b"),
            "bad expression '$.a && $.b': unexpected '&' (did you mean 'and'?) at character 5");
  EXPECT_EQ(parse_error("$.a || $.b"),
            "bad expression '$.a || $.b': unexpected '|' (did you mean 'or'?) at character 5");
  EXPECT_EQ(parse_error("$.a == 1 # note"),
            "bad expression '$.a == 1 # note': unexpected character '#' at character 10");
  EXPECT_EQ(parse_error("$.a == \xE2\x80\x98x\xE2\x80\x99"),
            "bad expression '$.a == \xE2\x80\x98x\xE2\x80\x99': unexpected character "
            "'\xE2\x80\x98' at character 8")
      << "a pasted curly quote shows whole";
}

TEST(ExpressionError, LeftoverTokens) {
  EXPECT_EQ(parse_error("1 < $.a < 10"),
            "bad expression '1 < $.a < 10': unexpected '<' (comparisons do not chain; join them "
            "with 'and') at character 9");
  EXPECT_EQ(parse_error("$.a == 1)"),
            "bad expression '$.a == 1)': unexpected ')' (no '(' to close) at character 9");
  EXPECT_EQ(parse_error("$.a 'x'"),
            "bad expression '$.a 'x'': unexpected text 'x' (expected an operator, 'and', 'or' or "
            "the end) at character 5");
  EXPECT_EQ(parse_error("$.a == 1 $.b"),
            "bad expression '$.a == 1 $.b': unexpected path '$.b' (expected 'and', 'or' or the "
            "end) at character 10");
  EXPECT_EQ(parse_error("($.a == 1 2)"),
            "bad expression '($.a == 1 2)': unexpected number 2 (expected 'and', 'or' or ')') at "
            "character 11");
  EXPECT_EQ(parse_error("$.status not in ['x']"),
            "bad expression '$.status not in ['x']': unexpected 'not' ('not' goes before the "
            "condition: not $.a in [...]) at character 10");
}

TEST(ExpressionError, UnclosedBrackets) {
  EXPECT_EQ(parse_error("($.a == 1"), "bad expression '($.a == 1': unclosed '(' at character 1");
  EXPECT_EQ(parse_error("$.a and (($.b or $.c)"),
            "bad expression '$.a and (($.b or $.c)': unclosed '(' at character 9");
  EXPECT_EQ(parse_error("$.type == 'customer.created"),
            "bad expression '$.type == 'customer.created': unclosed quote at character 11");
  EXPECT_EQ(parse_error("$.a in ['x', 'y'"),
            "bad expression '$.a in ['x', 'y'': unclosed '[' at character 8");
}

TEST(ExpressionError, InLists) {
  EXPECT_EQ(parse_error("$.a in 'x'"),
            "bad expression '$.a in 'x'': expected '[' after 'in', got text 'x' at character 8");
  EXPECT_EQ(parse_error("$.a in ['x' 'y']"),
            "bad expression '$.a in ['x' 'y']': unexpected text 'y' in the list (expected ',' or "
            "']') at character 13");
  EXPECT_EQ(parse_error("$.a in ['x',]"),
            "bad expression '$.a in ['x',]': expected an operand after ',' at character 13");
}

TEST(ExpressionError, MisspelledKeywords) {
  EXPECT_EQ(parse_error("$.a == 1 adn $.b == 2"),
            "bad expression '$.a == 1 adn $.b == 2': unknown word 'adn' (did you mean 'and'?) at "
            "character 10");
  EXPECT_THAT(parse_error("$.a == 1 OR $.b == 2"),
              HasSubstr("unknown word 'OR' (did you mean 'or'?) at character 10"));
  EXPECT_THAT(parse_error("nto $.deleted"),
              HasSubstr("unknown word 'nto' (did you mean 'not'?) at character 1"));
  EXPECT_THAT(parse_error("$.currency inn ['EUR']"),
              HasSubstr("unknown word 'inn' (did you mean 'in'?) at character 12"));
  EXPECT_THAT(parse_error("$.deleted == ture"),
              HasSubstr("unknown word 'ture' (did you mean 'true'?) at character 14"));
  EXPECT_THAT(parse_error("$.deleted == flase"),
              HasSubstr("unknown word 'flase' (did you mean 'false'?) at character 14"));
  EXPECT_THAT(parse_error("$.email != nul"),
              HasSubstr("unknown word 'nul' (did you mean 'null'?) at character 12"));
  EXPECT_EQ(parse_error("$.type == customer.created"),
            "bad expression '$.type == customer.created': unknown word 'customer.created' (quote "
            "text: 'customer.created'; paths start with '$' or '@') at character 11");
}

TEST(ExpressionError, Numbers) {
  EXPECT_THAT(parse_error("$.a == 1."), HasSubstr("expected a digit after '.' at character 9"));
  EXPECT_THAT(parse_error("$.a == 1e"),
              HasSubstr("expected a digit in the exponent at character 9"));
  EXPECT_THAT(parse_error("$.a == -"), HasSubstr("expected a digit after '-' at character 8"));
  EXPECT_THAT(parse_error("$.a == 10abc"),
              HasSubstr("unexpected 'a' after the number at character 10"));
  EXPECT_THAT(parse_error("$.a == 1e999"),
              HasSubstr("number 1e999 is out of range at character 8"));
}

TEST(ExpressionError, BadPathsNameTheExpression) {
  const std::string message = parse_error("$.a == 1 and @nope");
  EXPECT_THAT(message, StartsWith("bad expression '$.a == 1 and @nope': "));
  EXPECT_THAT(message, HasSubstr("@nope"));
  EXPECT_THAT(message, HasSubstr("at character 14"));
}

TEST(ExpressionError, PositionsCountFromTheOffset) {
  // As in a YAML scalar `filter: $.amount >=` where the expression starts at character 9.
  EXPECT_EQ(parse_error("$.amount >=", 8),
            "bad expression '$.amount >=': expected an operand after '>=' at character 20");
}

TEST(ExpressionError, NestingHasALimit) {
  const std::string deep = std::string(100, '(') + "1" + std::string(100, ')');
  EXPECT_THAT(parse_error(deep), HasSubstr("nested too deeply at character 65"));
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_THAT(parse_error(nots + "true"), HasSubstr("nested too deeply"));
  EXPECT_TRUE(holds(std::string(30, '(') + "true" + std::string(30, ')'), {}));
}

TEST(ParseCall, NameOnly) {
  for (const char* text : {"trim", "trim()", "  trim ( )  "}) {
    auto call = parse_call(text);
    ASSERT_TRUE(call.ok()) << text << ": " << call.error().message();
    EXPECT_EQ(call->name, "trim") << text;
    EXPECT_TRUE(call->args.empty()) << text;
  }
  auto underscored = parse_call("uuid_v5");
  ASSERT_TRUE(underscored.ok());
  EXPECT_EQ(underscored->name, "uuid_v5");
}

TEST(ParseCall, LiteralArguments) {
  auto call = parse_call("replace('-', '')");
  ASSERT_TRUE(call.ok()) << call.error().message();
  EXPECT_EQ(call->name, "replace");
  ASSERT_EQ(call->args.size(), 2u);
  EXPECT_TRUE(call->args[0].is_literal());
  EXPECT_EQ(call->args[0].text(), "'-'");
  EXPECT_EQ(call->args[0].evaluate({}, {}), "-");
  EXPECT_EQ(call->args[1].evaluate({}, {}), "");

  auto commas = parse_call(R"x(replace("a, b)", ')'))x");
  ASSERT_TRUE(commas.ok()) << commas.error().message();
  ASSERT_EQ(commas->args.size(), 2u);
  EXPECT_EQ(commas->args[0].evaluate({}, {}), "a, b)");
  EXPECT_EQ(commas->args[1].evaluate({}, {}), ")");

  auto numbers = parse_call("substr(-3, 2)");
  ASSERT_TRUE(numbers.ok());
  EXPECT_EQ(numbers->args[0].evaluate({}, {}), -3);
  EXPECT_EQ(numbers->args[1].evaluate({}, {}), 2);

  auto rounding = parse_call("round(2)");
  ASSERT_TRUE(rounding.ok());
  ASSERT_EQ(rounding->args.size(), 1u);
  EXPECT_EQ(rounding->args[0].evaluate({}, {}), 2);
}

TEST(ParseCall, PathArguments) {
  Record record;
  record.headers = {{"table", "customers"}};
  const json value = {{"first_name", "Ada"}, {"last_name", "Lovelace"}};

  auto call = parse_call("concat(' ', $.last_name, @headers.table)");
  ASSERT_TRUE(call.ok()) << call.error().message();
  ASSERT_EQ(call->args.size(), 3u);
  EXPECT_EQ(call->args[0].evaluate(record, value), " ");
  EXPECT_FALSE(call->args[1].is_literal());
  EXPECT_EQ(call->args[1].text(), "$.last_name");
  ASSERT_EQ(call->args[1].paths().size(), 1u);
  EXPECT_EQ(call->args[1].paths()[0].text(), "$.last_name");
  EXPECT_EQ(call->args[1].evaluate(record, value), "Lovelace");
  EXPECT_EQ(call->args[2].evaluate(record, value), "customers");

  auto condition = parse_call("f(($.first_name == 'Ada'))");
  ASSERT_TRUE(condition.ok()) << condition.error().message();
  EXPECT_EQ(condition->args[0].evaluate(record, value), true);
}

TEST(ParseCall, Errors) {
  EXPECT_EQ(call_error("replace('-', ''"),
            "bad function call 'replace('-', ''': unclosed '(' at character 8");
  EXPECT_EQ(call_error("trim("), "bad function call 'trim(': unclosed '(' at character 5");
  EXPECT_EQ(call_error("replace('-' '')"),
            "bad function call 'replace('-' '')': unexpected text '' after an argument (expected "
            "',' or ')') at character 13");
  EXPECT_EQ(call_error("concat($.a == 1)"),
            "bad function call 'concat($.a == 1)': unexpected '==' after an argument (expected "
            "',' or ')') at character 12");
  EXPECT_EQ(call_error("f(,)"),
            "bad function call 'f(,)': expected an operand after '(' at character 3");
  EXPECT_EQ(call_error("f('a',)"),
            "bad function call 'f('a',)': expected an operand after ',' at character 7");
  EXPECT_EQ(call_error("round(2) x"),
            "bad function call 'round(2) x': unexpected 'x' after ')' at character 10");
  EXPECT_EQ(call_error("trim x"),
            "bad function call 'trim x': unexpected 'x' after the function name (arguments go in "
            "parentheses: trim(...)) at character 6");
  EXPECT_EQ(call_error("'trim'"),
            "bad function call ''trim'': expected a function name, got text 'trim' at character 1");
  EXPECT_EQ(call_error(""), "bad function call '': expected a function name at character 1");
  EXPECT_EQ(call_error("replace(a, b)"),
            "bad function call 'replace(a, b)': unknown word 'a' (quote text: 'a'; paths start "
            "with '$' or '@') at character 9");
  EXPECT_EQ(call_error("replace('a, b)"),
            "bad function call 'replace('a, b)': unclosed quote at character 9");
  // As in a YAML list item `fn: [trim, replace('-' '')]`.
  EXPECT_THAT(call_error("replace('-' '')", 11), HasSubstr("at character 24"));
}

}  // namespace
}  // namespace weft

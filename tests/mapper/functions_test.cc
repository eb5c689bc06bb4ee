#include "mapper/functions.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "mapper/uuid.h"

namespace weft {
namespace {

using nlohmann::json;

FunctionContext context_at(std::int64_t millis) {
  return FunctionContext{std::chrono::system_clock::time_point{std::chrono::milliseconds{millis}}};
}

// The result as JSON text, or "error: <message>". Looks the function up by name, so the
// argument count is checked the way a mapping's load checks it.
std::string call(std::string_view name, const json& input, const std::vector<json>& args = {},
                 const FunctionContext& context = context_at(0)) {
  auto f = find_function(name, args.size());
  if (!f) return "lookup error: " + f.error().message();
  auto result = call_function(*f, input, args, context);
  if (!result) {
    EXPECT_EQ(result.error().kind(), ErrorKind::kPermanent);
    return "error: " + result.error().message();
  }
  return result->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string lookup_error(std::string_view name, std::size_t args) {
  auto f = find_function(name, args);
  EXPECT_FALSE(f.ok()) << name;
  if (f) return "";
  EXPECT_EQ(f.error().kind(), ErrorKind::kInvalidConfig);
  return f.error().message();
}

TEST(FunctionLookupTest, FindsEveryFunctionByItsName) {
  const std::pair<const char*, Function> all[] = {
      {"trim", Function::kTrim},      {"lower", Function::kLower},
      {"upper", Function::kUpper},    {"replace", Function::kReplace},
      {"split", Function::kSplit},    {"join", Function::kJoin},
      {"concat", Function::kConcat},  {"substr", Function::kSubstr},
      {"hash", Function::kHash},      {"to_string", Function::kToString},
      {"round", Function::kRound},    {"now", Function::kNow},
      {"uuid_v5", Function::kUuidV5},
  };
  const std::size_t arg_counts[] = {0, 0, 0, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < std::size(all); ++i) {
    auto f = find_function(all[i].first, arg_counts[i]);
    ASSERT_TRUE(f.ok()) << all[i].first << ": " << f.error().message();
    EXPECT_EQ(*f, all[i].second);
    EXPECT_STREQ(to_string(*f), all[i].first);
  }
}

TEST(FunctionLookupTest, UnknownNameSuggestsTheClosest) {
  EXPECT_EQ(lookup_error("lowr", 0),
            "unknown function 'lowr' (did you mean 'lower'?); functions: trim, lower, upper, "
            "replace, split, join, concat, substr, hash, to_string, round, now, uuid_v5");
  EXPECT_NE(lookup_error("tostring", 0).find("(did you mean 'to_string'?)"), std::string::npos);
  EXPECT_NE(lookup_error("UPPER", 0).find("(did you mean 'upper'?)"), std::string::npos);
  EXPECT_NE(lookup_error("uuidv5", 1).find("(did you mean 'uuid_v5'?)"), std::string::npos);
  EXPECT_EQ(lookup_error("frobnicate", 0).find("did you mean"), std::string::npos);
}

TEST(FunctionLookupTest, WrongArgumentCountShowsTheUsage) {
  EXPECT_EQ(lookup_error("replace", 1), "replace takes 2 arguments (replace(a, b)), got 1");
  EXPECT_EQ(lookup_error("trim", 1), "trim takes no arguments (trim), got 1");
  EXPECT_EQ(lookup_error("split", 0), "split takes 1 argument (split(sep)), got 0");
  EXPECT_EQ(lookup_error("substr", 3), "substr takes 1 or 2 arguments (substr(start[, n])), got 3");
  EXPECT_EQ(lookup_error("concat", 0), "concat takes at least 1 argument (concat(x, ...)), got 0");
  EXPECT_EQ(lookup_error("round", 2), "round takes 0 or 1 arguments (round([digits])), got 2");
  EXPECT_TRUE(find_function("concat", 5).ok());
}

TEST(FunctionTest, CallWithWrongArgumentCountIsAnErrorNotACrash) {
  auto result = call_function(Function::kReplace, "x", {}, context_at(0));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message(), "replace takes 2 arguments, got 0");
}

TEST(FunctionTest, Trim) {
  EXPECT_EQ(call("trim", "  a b \t\n"), R"("a b")");
  EXPECT_EQ(call("trim", "ab"), R"("ab")");
  EXPECT_EQ(call("trim", "   "), R"("")");
  EXPECT_EQ(call("trim", json::array({" a", "b ", nullptr})), R"(["a","b",null])");
  EXPECT_EQ(call("trim", 42), "error: trim: expected a string, got 42");
}

TEST(FunctionTest, LowerAndUpperChangeAsciiOnly) {
  EXPECT_EQ(call("lower", "ABC-déF"), R"("abc-déf")");
  EXPECT_EQ(call("upper", "abc-Éé"), R"("ABC-Éé")");
  EXPECT_EQ(call("lower", json::array({"A", "B"})), R"(["a","b"])");
  EXPECT_EQ(call("lower", 42), "error: lower: expected a string, got 42");
  EXPECT_EQ(call("upper", json::array({"a", 1})),
            "error: upper: element [1]: expected a string, got 1");
}

TEST(FunctionTest, ReplaceIsLiteral) {
  EXPECT_EQ(call("replace", "a-b-c", {"-", ""}), R"("abc")");
  EXPECT_EQ(call("replace", "a.b", {".", "\\."}), R"("a\\.b")");
  EXPECT_EQ(call("replace", "aaa", {"aa", "b"}), R"("ba")");
  EXPECT_EQ(call("replace", "xyz", {"q", "r"}), R"("xyz")");
  EXPECT_EQ(call("replace", json::array({"1-2", "3-4"}), {"-", "+"}), R"(["1+2","3+4"])");
  EXPECT_EQ(call("replace", "x", {"", "y"}), "error: replace: the text to replace is empty");
  EXPECT_EQ(call("replace", "x", {1, "y"}),
            "error: replace: expected a string as the text to replace, got 1");
  EXPECT_EQ(call("replace", "x", {"x", nullptr}),
            "error: replace: expected a string as the replacement, got null");
  EXPECT_EQ(call("replace", 5, {"5", "6"}), "error: replace: expected a string, got 5");
}

TEST(FunctionTest, Split) {
  EXPECT_EQ(call("split", "a,b,,c", {","}), R"(["a","b","","c"])");
  EXPECT_EQ(call("split", "a::b", {"::"}), R"(["a","b"])");
  EXPECT_EQ(call("split", "abc", {","}), R"(["abc"])");
  EXPECT_EQ(call("split", "", {","}), "[]");
  EXPECT_EQ(call("split", json::array({"a,b", "c"}), {","}), R"([["a","b"],["c"]])");
  EXPECT_EQ(call("split", "a", {""}), "error: split: the separator is empty");
  EXPECT_EQ(call("split", true, {","}), "error: split: expected a string, got true");
}

TEST(FunctionTest, Join) {
  EXPECT_EQ(call("join", json::array({"a", "b", "c"}), {", "}), R"("a, b, c")");
  EXPECT_EQ(call("join", json::array({"a", 1, true, nullptr}), {"|"}), R"("a|1|true|null")");
  EXPECT_EQ(call("join", json::array(), {","}), R"("")");
  EXPECT_EQ(call("join", "abc", {","}), "error: join: expected an array, got 'abc'");
  EXPECT_EQ(call("join", json::array({"a"}), {1}),
            "error: join: expected a string as the separator, got 1");
}

TEST(FunctionTest, ConcatTreatsNullAsEmpty) {
  EXPECT_EQ(call("concat", "Ada", {" ", "Lovelace"}), R"("Ada Lovelace")");
  EXPECT_EQ(call("concat", nullptr, {"x", nullptr, "y"}), R"("xy")");
  EXPECT_EQ(call("concat", 42, {"-", 1.5, true}), R"("42-1.5true")");
  EXPECT_EQ(call("concat", json::array({1, "a"}), {"!"}), R"("[1,\"a\"]!")");
}

TEST(FunctionTest, SubstrCountsCodePoints) {
  EXPECT_EQ(call("substr", "hello", {1, 3}), R"("ell")");
  EXPECT_EQ(call("substr", "hello", {2}), R"("llo")");
  EXPECT_EQ(call("substr", "héllo wörld", {1, 4}), R"("éllo")");
  EXPECT_EQ(call("substr", "日本語テキスト", {2, 2}), R"("語テ")");
  EXPECT_EQ(call("substr", "hello", {0, 100}), R"("hello")");
  EXPECT_EQ(call("substr", "hello", {0, 0}), R"("")");
}

TEST(FunctionTest, SubstrNegativeStartCountsFromTheEnd) {
  EXPECT_EQ(call("substr", "hello", {-3}), R"("llo")");
  EXPECT_EQ(call("substr", "hello", {-3, 2}), R"("ll")");
  EXPECT_EQ(call("substr", "wörld", {-4, 2}), R"("ör")");
  EXPECT_EQ(call("substr", "hello", {-10, 2}), R"("he")");
}

TEST(FunctionTest, SubstrPastTheEndIsEmpty) {
  EXPECT_EQ(call("substr", "hello", {5}), R"("")");
  EXPECT_EQ(call("substr", "hello", {99, 2}), R"("")");
  EXPECT_EQ(call("substr", "", {0, 1}), R"("")");
}

TEST(FunctionTest, SubstrArgumentsAndArrays) {
  EXPECT_EQ(call("substr", json::array({"abc", "defg"}), {1, 2}), R"(["bc","ef"])");
  EXPECT_EQ(call("substr", "abc", {1.0}), R"("bc")");
  EXPECT_EQ(call("substr", "abc", {"1"}), "error: substr: expected an integer start, got '1'");
  EXPECT_EQ(call("substr", "abc", {1.5}), "error: substr: expected an integer start, got 1.5");
  EXPECT_EQ(call("substr", "abc", {0, -1}),
            "error: substr: expected a length of 0 or more, got -1");
  EXPECT_EQ(call("substr", 12345, {1}), "error: substr: expected a string, got 12345");
}

TEST(FunctionTest, HashIsSha256Hex) {
  EXPECT_EQ(call("hash", "abc"),
            R"("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")");
  EXPECT_EQ(call("hash", ""),
            R"("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")");
  // Non-strings hash their compact JSON: 42 hashes like "42".
  EXPECT_EQ(call("hash", 42), call("hash", "42"));
  EXPECT_EQ(call("hash", json::parse(R"({"a": 1})")), call("hash", R"({"a":1})"));
  const std::string abc = call("hash", "abc");
  EXPECT_EQ(call("hash", json::array({"abc", nullptr})), "[" + abc + ",null]");
}

TEST(FunctionTest, ToString) {
  EXPECT_EQ(call("to_string", "text"), R"("text")");
  EXPECT_EQ(call("to_string", 42), R"("42")");
  EXPECT_EQ(call("to_string", 1.5), R"("1.5")");
  EXPECT_EQ(call("to_string", false), R"("false")");
  EXPECT_EQ(call("to_string", json::parse(R"({"a": [1, 2]})")), R"("{\"a\":[1,2]}")");
  EXPECT_EQ(call("to_string", nullptr), R"("")");
}

TEST(FunctionTest, RoundHalfAwayFromZero) {
  EXPECT_EQ(call("round", 2.5), "3");
  EXPECT_EQ(call("round", -2.5), "-3");
  EXPECT_EQ(call("round", 0.5), "1");
  EXPECT_EQ(call("round", 2.4999), "2");
  EXPECT_EQ(call("round", -0.4), "0");
  EXPECT_EQ(call("round", 7), "7");
  EXPECT_EQ(call("round", 7.0), "7");
}

TEST(FunctionTest, RoundToDigitsUsesTheDecimalTheUserSees) {
  EXPECT_EQ(call("round", 1.005, {2}), "1.01");
  EXPECT_EQ(call("round", 2.675, {2}), "2.68");
  EXPECT_EQ(call("round", -2.675, {2}), "-2.68");
  EXPECT_EQ(call("round", 1.23456, {3}), "1.235");
  EXPECT_EQ(call("round", 0.05, {1}), "0.1");
  EXPECT_EQ(call("round", 0.004, {2}), "0.0");
  EXPECT_EQ(call("round", 9.995, {2}), "10.0");
  EXPECT_EQ(call("round", 1.5, {5}), "1.5");
  EXPECT_EQ(call("round", 3, {2}), "3");
}

TEST(FunctionTest, RoundToNegativeDigits) {
  EXPECT_EQ(call("round", 1250, {-2}), "1300");
  EXPECT_EQ(call("round", -1250, {-2}), "-1300");
  EXPECT_EQ(call("round", 1249, {-2}), "1200");
  EXPECT_EQ(call("round", 1249.9, {-1}), "1250");
  EXPECT_EQ(call("round", 42, {-30}), "0");
}

TEST(FunctionTest, RoundErrors) {
  EXPECT_EQ(call("round", "abc"), "error: round: expected a number, got 'abc'");
  EXPECT_EQ(call("round", json::array({1.5})), "error: round: expected a number, got [1.5]");
  EXPECT_EQ(call("round", 1.5, {"2"}),
            "error: round: expected an integer number of digits, got '2'");
  EXPECT_EQ(call("round", 1e300), "error: round: 1e+300 is out of range for an integer");
  EXPECT_EQ(call("round", nullptr, {2}), "null");
}

TEST(FunctionTest, NowUsesTheContextClock) {
  EXPECT_EQ(call("now", nullptr, {}, context_at(1795775462123)), R"("2026-11-27T10:31:02.123Z")");
  EXPECT_EQ(call("now", "ignored", {}, context_at(1795775462000)), R"("2026-11-27T10:31:02Z")");
}

TEST(FunctionTest, UuidV5IsStablePerInput) {
  const std::string expected = "\"" + *uuid_v5(kWeftNamespace, "cus_9") + "\"";
  EXPECT_EQ(call("uuid_v5", "cus_9"), expected);
  EXPECT_EQ(call("uuid_v5", "cus_9"), call("uuid_v5", "cus_9"));
  EXPECT_NE(call("uuid_v5", "cus_9"), call("uuid_v5", "cus_10"));
  // Numbers name themselves by their JSON text, so id 42 and "42" are one entity.
  EXPECT_EQ(call("uuid_v5", 42), call("uuid_v5", "42"));
}

TEST(FunctionTest, UuidV5InAGivenNamespace) {
  EXPECT_EQ(call("uuid_v5", "python.org", {"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}),
            R"("886313e1-3b8a-5372-9b90-0c9aee199e5d")");
  EXPECT_EQ(call("uuid_v5", json::array({"python.org", nullptr}),
                 {"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}),
            R"(["886313e1-3b8a-5372-9b90-0c9aee199e5d",null])");
  EXPECT_EQ(call("uuid_v5", "a", {"x"}), "error: uuid_v5: namespace 'x' is not a UUID");
  EXPECT_EQ(call("uuid_v5", "a", {7}), "error: uuid_v5: namespace 7 is not a UUID");
}

TEST(FunctionTest, NullPassesThroughAllButConcatToStringAndNow) {
  const std::vector<std::pair<const char*, std::vector<json>>> calls = {
      {"trim", {}},    {"lower", {}},   {"upper", {}}, {"replace", {"a", "b"}}, {"split", {","}},
      {"join", {","}}, {"substr", {1}}, {"hash", {}},  {"round", {}},           {"uuid_v5", {}},
  };
  for (const auto& [name, args] : calls) EXPECT_EQ(call(name, nullptr, args), "null") << name;
  EXPECT_EQ(call("concat", nullptr, {"x"}), R"("x")");
  EXPECT_EQ(call("to_string", nullptr), R"("")");
  EXPECT_EQ(call("now", nullptr), R"("1970-01-01T00:00:00Z")");
}

TEST(FunctionTest, ElementWiseOverNestedArrays) {
  EXPECT_EQ(call("upper", json::parse(R"([["a", "b"], "c", []])")), R"([["A","B"],"C",[]])");
  EXPECT_EQ(call("lower", json::parse(R"([["a", 1]])")),
            "error: lower: element [0]: element [1]: expected a string, got 1");
}

TEST(FunctionTest, InvalidUtf8NeverThrows) {
  const json bad = json::array({std::string("\xff\xfe")});
  EXPECT_NO_THROW((void)call("hash", json::object({{"k", std::string("\xff")}})));
  EXPECT_NO_THROW((void)call("to_string", bad));
  EXPECT_NO_THROW((void)call("join", json::array({bad}), {","}));
  EXPECT_NO_THROW((void)call("substr", std::string("\xff\xfe\xfd"), {-1}));
}

}  // namespace
}  // namespace weft

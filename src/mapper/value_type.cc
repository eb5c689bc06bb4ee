#include "mapper/value_type.h"

#include <array>
#include <cctype>
#include <utility>

namespace weft {
namespace {

struct KindName {
  ValueKind kind;
  std::string_view name;
};

constexpr std::array<KindName, 8> kScalarKinds = {{
    {ValueKind::kString, "string"},
    {ValueKind::kInt, "int"},
    {ValueKind::kFloat, "float"},
    {ValueKind::kDecimal, "decimal"},
    {ValueKind::kBool, "bool"},
    {ValueKind::kTimestamp, "timestamp"},
    {ValueKind::kDate, "date"},
    {ValueKind::kJson, "json"},
}};

constexpr std::string_view kValidTypes =
    "string, int, float, decimal, bool, timestamp, date, json, array<T>";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ValueType::name() const {
  if (kind == ValueKind::kArray) {
    return "array<" + (element ? element->name() : std::string("json")) + ">";
  }
  for (const auto& k : kScalarKinds) {
    if (k.kind == kind) return std::string(k.name);
  }
  return "json";
}

bool ValueType::operator==(const ValueType& other) const {
  if (kind != other.kind) return false;
  if (kind != ValueKind::kArray || element == other.element) return true;
  // An array without an element type is never built by parse_value_type; treat it as json.
  const ValueType json_type;
  return (element ? *element : json_type) == (other.element ? *other.element : json_type);
}

Result<ValueType> parse_value_type(std::string_view text) {
  auto fail = [&](const std::string& what) {
    return Error::invalid_config(what + "; types: " + std::string(kValidTypes));
  };
  const std::string quoted = "'" + std::string(text) + "'";
  // Peel "array<" ... ">" layers iteratively, so a deeply nested type cannot exhaust the stack.
  std::string_view rest = trim(text);
  std::size_t depth = 0;
  while (rest.substr(0, 5) == "array") {
    std::string_view inner = trim(rest.substr(5));
    if (inner.empty()) return fail("type " + quoted + " needs an element type, like array<string>");
    if (inner.front() != '<' || inner.back() != '>') return fail("bad type " + quoted);
    rest = trim(inner.substr(1, inner.size() - 2));
    ++depth;
  }
  ValueType type;
  bool known = false;
  for (const auto& k : kScalarKinds) {
    if (k.name == rest) {
      type.kind = k.kind;
      known = true;
      break;
    }
  }
  if (!known) {
    if (rest.empty()) return fail(depth > 0 ? "empty element type in " + quoted : "empty type");
    return fail("unknown type '" + std::string(rest) + "'" + (depth > 0 ? " in " + quoted : ""));
  }
  for (; depth > 0; --depth) {
    ValueType array;
    array.kind = ValueKind::kArray;
    array.element = std::make_shared<const ValueType>(std::move(type));
    type = std::move(array);
  }
  return type;
}

}  // namespace weft

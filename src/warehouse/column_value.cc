#include "warehouse/column_value.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

namespace weft::warehouse {

namespace {

// Consumes exactly `n` digits at `i`.
bool digits(const std::string& s, std::size_t& i, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || std::isdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  return true;
}

bool lit(const std::string& s, std::size_t& i, char c) {
  if (i < s.size() && s[i] == c) {
    ++i;
    return true;
  }
  return false;
}

bool is_integer_text(const std::string& s) {
  std::int64_t v = 0;
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size() && begin != end;
}

bool is_number_text(const std::string& s) {
  double v = 0;
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size() && begin != end && std::isfinite(v);
}

std::optional<bool> boolean_text(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true" || s == "t" || s == "yes" || s == "1") return true;
  if (s == "false" || s == "f" || s == "no" || s == "0") return false;
  return std::nullopt;
}

// What kind of value it is, in the words of column types ("text", "bigint", "json").
std::string kind_of(const nlohmann::json& value) {
  auto type = infer_type(value);
  return type ? to_string(*type) : "null";
}

Error conflict(const nlohmann::json& value, ColumnType type) {
  std::string shown = value.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  return Error::permanent("value " + shown + " (" + kind_of(value) + ") does not fit a " +
                          to_string(type) + " column");
}

}  // namespace

bool is_iso_timestamp(const std::string& s) {
  std::size_t i = 0;
  if (!(digits(s, i, 4) && lit(s, i, '-') && digits(s, i, 2) && lit(s, i, '-') && digits(s, i, 2)))
    return false;
  if (i == s.size()) return true;
  if (!(lit(s, i, 'T') || lit(s, i, ' '))) return false;
  if (!(digits(s, i, 2) && lit(s, i, ':') && digits(s, i, 2))) return false;
  if (lit(s, i, ':')) {
    if (!digits(s, i, 2)) return false;
    if (lit(s, i, '.')) {
      const std::size_t start = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
      if (i == start) return false;
    }
  }
  if (i == s.size()) return true;
  if (lit(s, i, 'Z')) return i == s.size();
  if (!(lit(s, i, '+') || lit(s, i, '-'))) return false;
  if (!digits(s, i, 2)) return false;
  if (i == s.size()) return true;
  lit(s, i, ':');
  return digits(s, i, 2) && i == s.size();
}

std::optional<ColumnType> infer_type(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return std::nullopt;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return ColumnType::kBigint;
    case nlohmann::json::value_t::number_float:
      return ColumnType::kDouble;
    case nlohmann::json::value_t::boolean:
      return ColumnType::kBoolean;
    case nlohmann::json::value_t::string:
      return is_iso_timestamp(value.get_ref<const std::string&>()) ? ColumnType::kTimestamp
                                                                   : ColumnType::kText;
    default:
      return ColumnType::kJson;
  }
}

ColumnType widen(ColumnType a, ColumnType b) {
  if (a == b) return a;
  const auto numeric = [](ColumnType t) {
    return t == ColumnType::kBigint || t == ColumnType::kDouble;
  };
  if (numeric(a) && numeric(b)) return ColumnType::kDouble;
  return ColumnType::kText;
}

Result<std::optional<std::string>> cell_text(const nlohmann::json& value, ColumnType type,
                                             bool sqlite_booleans) {
  using Cell = std::optional<std::string>;
  if (value.is_null()) return Cell{};
  const bool is_string = value.is_string();
  const std::string* text = is_string ? &value.get_ref<const std::string&>() : nullptr;
  switch (type) {
    case ColumnType::kText:
      return Cell(is_string ? *text : value.dump());
    case ColumnType::kJson:
      return Cell(value.dump());
    case ColumnType::kBigint:
      if (value.is_number_integer()) return Cell(value.dump());
      if (value.is_number_float()) {
        const double d = value.get<double>();
        // Integral doubles (3.0) are what some JSON writers produce for integers.
        if (std::trunc(d) == d && std::fabs(d) < 9.2e18) {
          return Cell(std::to_string(static_cast<std::int64_t>(d)));
        }
      }
      if (is_string && is_integer_text(*text)) return Cell(*text);
      if (value.is_boolean() && sqlite_booleans) return Cell(value.get<bool>() ? "1" : "0");
      return conflict(value, type);
    case ColumnType::kDouble:
      if (value.is_number()) return Cell(value.dump());
      if (is_string && is_number_text(*text)) return Cell(*text);
      return conflict(value, type);
    case ColumnType::kBoolean: {
      std::optional<bool> b;
      if (value.is_boolean()) b = value.get<bool>();
      if (value.is_number_integer() && (value == 0 || value == 1)) b = value == 1;
      if (is_string) b = boolean_text(*text);
      if (!b) return conflict(value, type);
      if (sqlite_booleans) return Cell(*b ? "1" : "0");
      return Cell(*b ? "true" : "false");
    }
    case ColumnType::kTimestamp:
      if (is_string && is_iso_timestamp(*text)) return Cell(*text);
      return conflict(value, type);
  }
  return conflict(value, type);
}

}  // namespace weft::warehouse

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
bool digits(std::string_view s, std::size_t& i, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || std::isdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  return true;
}

bool lit(std::string_view s, std::size_t& i, char c) {
  if (i < s.size() && s[i] == c) {
    ++i;
    return true;
  }
  return false;
}

const char* skip_plus(std::string_view s) { return s.data() + (s.starts_with('+') ? 1 : 0); }

bool is_integer_text(std::string_view s) {
  std::int64_t v = 0;
  const char* begin = skip_plus(s);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size() && begin != end;
}

std::optional<double> number_text(std::string_view s) {
  double v = 0;
  const char* begin = skip_plus(s);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || begin == end || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> boolean_text(std::string_view text) {
  std::string s(text);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true" || s == "t" || s == "yes" || s == "1") return true;
  if (s == "false" || s == "f" || s == "no" || s == "0") return false;
  return std::nullopt;
}

// What kind of value it is, in the words of column types ("text", "bigint", "json").
std::string kind_of(const FieldValue& value) {
  auto type = infer_type(value);
  return type ? to_string(*type) : "null";
}

Error conflict(const FieldValue& value, ColumnType type) {
  std::string shown = value.kind == ValueKind::kString ? "\"" + std::string(value.text) + "\""
                                                       : std::string(value.text);
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  return Error::permanent("value " + shown + " (" + kind_of(value) + ") does not fit a " +
                          to_string(type) + " column");
}

}  // namespace

bool is_iso_timestamp(std::string_view s) {
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

std::optional<ColumnType> infer_type(const FieldValue& value) {
  switch (value.kind) {
    case ValueKind::kNull:
      return std::nullopt;
    case ValueKind::kInteger:
      return ColumnType::kBigint;
    case ValueKind::kFloat:
      return ColumnType::kDouble;
    case ValueKind::kBoolean:
      return ColumnType::kBoolean;
    case ValueKind::kString:
      return is_iso_timestamp(value.text) ? ColumnType::kTimestamp : ColumnType::kText;
    case ValueKind::kStructured:
      return ColumnType::kJson;
  }
  return ColumnType::kText;
}

ColumnType widen(ColumnType a, ColumnType b) {
  if (a == b) return a;
  const auto numeric = [](ColumnType t) {
    return t == ColumnType::kBigint || t == ColumnType::kDouble;
  };
  if (numeric(a) && numeric(b)) return ColumnType::kDouble;
  return ColumnType::kText;
}

Result<std::optional<std::string>> cell_text(const FieldValue& value, ColumnType type,
                                             bool sqlite_booleans) {
  using Cell = std::optional<std::string>;
  const ValueKind kind = value.kind;
  const std::string_view text = value.text;
  if (kind == ValueKind::kNull) return Cell{};
  const bool is_string = kind == ValueKind::kString;
  switch (type) {
    case ColumnType::kText:
      return Cell(std::string(text));
    case ColumnType::kJson:  // a string as a JSON string; anything else is JSON text already
      return Cell(is_string ? nlohmann::json(text).dump() : std::string(text));
    case ColumnType::kBigint:
      if (kind == ValueKind::kInteger) return Cell(std::string(text));
      if (kind == ValueKind::kFloat) {
        // Integral doubles (3.0) are what some JSON writers produce for integers.
        auto d = number_text(text);
        if (d && std::trunc(*d) == *d && std::fabs(*d) < 9.2e18) {
          return Cell(std::to_string(static_cast<std::int64_t>(*d)));
        }
      }
      if (is_string && is_integer_text(text)) return Cell(std::string(text));
      if (kind == ValueKind::kBoolean && sqlite_booleans) {
        return Cell(text == "true" ? "1" : "0");
      }
      return conflict(value, type);
    case ColumnType::kDouble:
      if (kind == ValueKind::kInteger || kind == ValueKind::kFloat) return Cell(std::string(text));
      if (is_string && number_text(text)) return Cell(std::string(text));
      return conflict(value, type);
    case ColumnType::kBoolean: {
      std::optional<bool> b;
      if (kind == ValueKind::kBoolean) b = text == "true";
      if (kind == ValueKind::kInteger && (text == "0" || text == "1")) b = text == "1";
      if (is_string) b = boolean_text(text);
      if (!b) return conflict(value, type);
      if (sqlite_booleans) return Cell(*b ? "1" : "0");
      return Cell(*b ? "true" : "false");
    }
    case ColumnType::kTimestamp:
      if (is_string && is_iso_timestamp(text)) return Cell(std::string(text));
      return conflict(value, type);
  }
  return conflict(value, type);
}

}  // namespace weft::warehouse

#include "pgcdc/pg_value.h"

#include <algorithm>
#include <array>

#include "common/utf8.h"
#include "pgcdc/json_text.h"

namespace weft::pgcdc {
namespace {

// How a type's text output becomes JSON.
enum class Kind : std::uint8_t {
  kString,       // as printed, as a JSON string
  kInteger,      // a JSON number
  kFloat,        // a JSON number, or a string for NaN and +/-Infinity
  kBool,         // "t"/"f" -> true/false
  kJson,         // the JSON text itself
  kTimestamp,    // ISO 8601 without a zone
  kTimestampTz,  // ISO 8601 with a zone ("Z" for UTC)
  kBytea,        // "\x..." hex -> base64
  kArray,        // a JSON array of `element`s
};

struct TypeEntry {
  std::uint32_t oid;
  Kind kind;
  std::uint32_t element;  // for kArray
  std::string_view name;
};

// Built-in type OIDs from PostgreSQL's src/include/catalog/pg_type.dat. Sorted by OID.
// Packed, as a table reads better that way.
// clang-format off
constexpr TypeEntry kTypes[] = {
    {16, Kind::kBool, 0, "bool"}, {17, Kind::kBytea, 0, "bytea"}, {18, Kind::kString, 0, "char"},
    {19, Kind::kString, 0, "name"}, {20, Kind::kInteger, 0, "int8"},
    {21, Kind::kInteger, 0, "int2"}, {23, Kind::kInteger, 0, "int4"},
    {25, Kind::kString, 0, "text"}, {26, Kind::kInteger, 0, "oid"}, {114, Kind::kJson, 0, "json"},
    {142, Kind::kString, 0, "xml"}, {199, Kind::kArray, 114, "_json"},
    {700, Kind::kFloat, 0, "float4"}, {701, Kind::kFloat, 0, "float8"},
    {790, Kind::kString, 0, "money"}, {791, Kind::kArray, 790, "_money"},
    {1000, Kind::kArray, 16, "_bool"}, {1001, Kind::kArray, 17, "_bytea"},
    {1002, Kind::kArray, 18, "_char"}, {1003, Kind::kArray, 19, "_name"},
    {1005, Kind::kArray, 21, "_int2"}, {1007, Kind::kArray, 23, "_int4"},
    {1009, Kind::kArray, 25, "_text"}, {1014, Kind::kArray, 1042, "_bpchar"},
    {1015, Kind::kArray, 1043, "_varchar"}, {1016, Kind::kArray, 20, "_int8"},
    {1021, Kind::kArray, 700, "_float4"}, {1022, Kind::kArray, 701, "_float8"},
    {1028, Kind::kArray, 26, "_oid"}, {1042, Kind::kString, 0, "bpchar"},
    {1043, Kind::kString, 0, "varchar"}, {1082, Kind::kString, 0, "date"},
    {1083, Kind::kString, 0, "time"}, {1114, Kind::kTimestamp, 0, "timestamp"},
    {1115, Kind::kArray, 1114, "_timestamp"}, {1182, Kind::kArray, 1082, "_date"},
    {1183, Kind::kArray, 1083, "_time"}, {1184, Kind::kTimestampTz, 0, "timestamptz"},
    {1185, Kind::kArray, 1184, "_timestamptz"}, {1186, Kind::kString, 0, "interval"},
    {1187, Kind::kArray, 1186, "_interval"}, {1231, Kind::kArray, 1700, "_numeric"},
    {1266, Kind::kString, 0, "timetz"}, {1270, Kind::kArray, 1266, "_timetz"},
    {1700, Kind::kString, 0, "numeric"}, {2950, Kind::kString, 0, "uuid"},
    {2951, Kind::kArray, 2950, "_uuid"}, {3802, Kind::kJson, 0, "jsonb"},
    {3807, Kind::kArray, 3802, "_jsonb"},
};
// clang-format on
static_assert(std::is_sorted(std::begin(kTypes), std::end(kTypes),
                             [](const TypeEntry& a, const TypeEntry& b) { return a.oid < b.oid; }));

const TypeEntry* find_type(std::uint32_t oid) {
  const auto* it = std::lower_bound(std::begin(kTypes), std::end(kTypes), oid,
                                    [](const TypeEntry& e, std::uint32_t o) { return e.oid < o; });
  return it != std::end(kTypes) && it->oid == oid ? it : nullptr;
}

// Postgres's integer output (int2, int4, int8, oid): at most 19 digits, so it fits the int64 or
// uint64 every JSON reader has.
bool is_json_integer(std::string_view s) {
  const std::size_t sign = !s.empty() && s[0] == '-' ? 1 : 0;
  const std::size_t n = s.size() - sign;
  if (n == 0 || n > 19 || (s[sign] == '0' && n > 1)) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(sign), s.end(), is_digit);
}

// Postgres's ISO output: "YYYY-MM-DD HH:MM:SS[.ffffff]" (years may have more than four digits;
// BC dates carry a " BC" suffix and do not match). Returns the length matched, or 0.
std::size_t match_timestamp(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i < 4) return 0;
  const auto fixed = [&](std::string_view pattern) {  // 'd' = a digit
    if (s.size() - i < pattern.size()) return false;
    for (const char p : pattern) {
      if (p == 'd' ? !is_digit(s[i]) : s[i] != p) return false;
      ++i;
    }
    return true;
  };
  if (!fixed("-dd-dd dd:dd:dd")) return 0;
  if (i < s.size() && s[i] == '.') {
    const std::size_t dot = i++;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == dot + 1) return 0;
  }
  return i;
}

void append_timestamp(std::string& out, std::string_view text, bool with_zone) {
  const std::size_t n = match_timestamp(text);
  std::string_view zone = text.substr(n);
  // Zones as Postgres prints them: "+00", "+05", "-03:30", "+00:19:32" (seconds: not ISO 8601).
  const bool zone_ok =
      with_zone
          ? (zone.size() == 3 || zone.size() == 6) && (zone[0] == '+' || zone[0] == '-') &&
                is_digit(zone[1]) && is_digit(zone[2]) &&
                (zone.size() == 3 || (zone[3] == ':' && is_digit(zone[4]) && is_digit(zone[5])))
          : zone.empty();
  if (n == 0 || !zone_ok) {
    append_json_string(out, text);  // infinity, -infinity, BC dates: as printed
    return;
  }
  const std::size_t space = text.find(' ');
  out += '"';
  out.append(text.data(), space);
  out += 'T';
  out.append(text.data() + space + 1, n - space - 1);
  if (with_zone) {
    if (zone == "+00" || zone == "-00" || zone == "+00:00") {
      out += 'Z';
    } else {
      out.append(zone);
      if (zone.size() == 3) out += ":00";
    }
  }
  out += '"';
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// bytea's hex output "\x0aff..." as base64, encoded straight from the hex digits (no buffer).
void append_bytea(std::string& out, std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0 ||
      !std::all_of(text.begin() + 2, text.end(), [](char c) { return hex_value(c) >= 0; })) {
    append_json_string(out, text);  // escape format (bytea_output=escape) or garbage: as printed
    return;
  }
  const std::string_view hex = text.substr(2);
  const std::size_t bytes = hex.size() / 2;
  const auto byte_at = [&](std::size_t i) {
    return static_cast<unsigned>(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
  };
  out.reserve(out.size() + (bytes + 2) / 3 * 4 + 2);
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= bytes; i += 3) {
    const unsigned v = byte_at(i) << 16 | byte_at(i + 1) << 8 | byte_at(i + 2);
    const char quad[4] = {kBase64[v >> 18], kBase64[(v >> 12) & 63], kBase64[(v >> 6) & 63],
                          kBase64[v & 63]};
    out.append(quad, 4);
  }
  if (bytes - i == 1) {
    const unsigned v = byte_at(i) << 16;
    const char quad[4] = {kBase64[v >> 18], kBase64[(v >> 12) & 63], '=', '='};
    out.append(quad, 4);
  } else if (bytes - i == 2) {
    const unsigned v = byte_at(i) << 16 | byte_at(i + 1) << 8;
    const char quad[4] = {kBase64[v >> 18], kBase64[(v >> 12) & 63], kBase64[(v >> 6) & 63], '='};
    out.append(quad, 4);
  }
  out += '"';
}

// Postgres allows at most 6 array dimensions (MAXDIM).
constexpr int kMaxArrayDepth = 6;

// One "{...}" of array_out's output at p, appended as a JSON array. Elements are unquoted
// tokens (NULL = null) or double-quoted with backslash escapes; nested braces are dimensions.
// `scratch` holds an unescaped quoted element. False on anything array_out does not produce.
bool append_array(std::string& out, const char*& p, const char* end, std::uint32_t element,
                  int depth, std::string& scratch) {
  if (depth > kMaxArrayDepth || p == end || *p != '{') return false;
  ++p;
  out += '[';
  if (p < end && *p == '}') {
    ++p;
    out += ']';
    return true;
  }
  for (;;) {
    if (p == end) return false;
    if (*p == '{') {
      if (!append_array(out, p, end, element, depth + 1, scratch)) return false;
    } else if (*p == '"') {
      scratch.clear();
      for (++p;; ++p) {
        if (p == end) return false;
        if (*p == '"') break;
        if (*p == '\\' && ++p == end) return false;
        scratch += *p;
      }
      ++p;
      append_json_value(out, element, scratch);
    } else {
      const char* start = p;
      while (p < end && *p != ',' && *p != '}') {
        if (*p == '{' || *p == '"' || *p == '\\') return false;
        ++p;
      }
      const std::string_view token(start, static_cast<std::size_t>(p - start));
      if (token.empty()) return false;
      if (token == "NULL") {
        out += "null";
      } else {
        append_json_value(out, element, token);
      }
    }
    if (p == end) return false;
    if (*p == '}') {
      ++p;
      out += ']';
      return true;
    }
    if (*p != ',') return false;
    ++p;
    out += ',';
  }
}

void append_array_value(std::string& out, std::uint32_t element, std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  // Lower bounds other than 1 come as a "[0:2]={...}" prefix; JSON arrays have no bounds, so it
  // is dropped.
  if (p < end && *p == '[') {
    const auto eq = text.find("={");
    if (eq == std::string_view::npos) return append_json_string(out, text);
    for (const char* q = p; q < p + eq; ++q) {
      if (!is_digit(*q) && *q != '[' && *q != ']' && *q != ':' && *q != '-') {
        return append_json_string(out, text);
      }
    }
    p += eq + 1;
  }
  // Quoted elements are unescaped here; one buffer per thread keeps that allocation-free once
  // it has grown to the longest element.
  thread_local std::string scratch;
  const std::size_t start = out.size();
  if (!append_array(out, p, end, element, 1, scratch) || p != end) {
    out.resize(start);
    append_json_string(out, text);
  }
}

// Per byte: 0 = copy as is, 1 = needs a JSON escape, 2 = starts (or breaks) a UTF-8 sequence.
constexpr std::array<std::uint8_t, 256> kEscapeClass = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 1;
  table['"'] = 1;
  table['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) table[c] = 2;
  return table;
}();

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  // Invalid UTF-8: each byte that does not start a well-formed sequence becomes U+FFFD, so the
  // output is always valid JSON (and valid UTF-8) while the rest of the text is kept.
  static constexpr char kHex[] = "0123456789abcdef";
  // The two-character escapes JSON has for control characters; 0 = use \u00XX.
  static constexpr char kShortEscape[0x20] = {0, 0, 0, 0, 0, 0, 0, 0, 'b', 't', 'n', 0, 'f', 'r'};
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  const auto* run = p;  // start of the bytes not yet appended
  while (p < end) {
    const auto cls = kEscapeClass[*p];
    if (cls == 0) {
      ++p;
      continue;
    }
    if (cls == 2) {
      const auto n = utf8_length(p, end);
      if (n != 0) {
        p += n;
        continue;
      }
    }
    out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
    if (cls == 2) {
      out += "\xEF\xBF\xBD";
    } else {
      const unsigned char c = *p;
      const char short_form = c == '"' || c == '\\' ? static_cast<char>(c) : kShortEscape[c];
      if (short_form != 0) {
        const char esc[2] = {'\\', short_form};
        out.append(esc, 2);
      } else {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, 6);
      }
    }
    run = ++p;
  }
  out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
  out += '"';
}

void append_json_value(std::string& out, std::uint32_t type_oid, std::string_view text) {
  const TypeEntry* type = find_type(type_oid);
  switch (type ? type->kind : Kind::kString) {
    case Kind::kString:
      return append_json_string(out, text);
    case Kind::kInteger:
      if (is_json_integer(text)) return out.append(text), void();
      return append_json_string(out, text);
    case Kind::kFloat:  // NaN and Infinity are not JSON numbers: they stay strings
      if (is_json_number(text)) return out.append(text), void();
      return append_json_string(out, text);
    case Kind::kBool:
      if (text == "t" || text == "true") return out.append("true"), void();
      if (text == "f" || text == "false") return out.append("false"), void();
      return append_json_string(out, text);
    case Kind::kJson:
      if (is_valid_json(text)) return out.append(text), void();
      return append_json_string(out, text);
    case Kind::kTimestamp:
      return append_timestamp(out, text, false);
    case Kind::kTimestampTz:
      return append_timestamp(out, text, true);
    case Kind::kBytea:
      return append_bytea(out, text);
    case Kind::kArray:
      return append_array_value(out, type->element, text);
  }
}

std::string_view builtin_type_name(std::uint32_t type_oid) {
  const TypeEntry* type = find_type(type_oid);
  return type ? type->name : std::string_view();
}

}  // namespace weft::pgcdc

#include "mapper/coerce.h"

#include <time.h>  // strptime (POSIX), for the user's own `format` only

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/text.h"

namespace weft {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

// Timestamps travel inside this file as milliseconds since the epoch over the years 0001-9999:
// a nanosecond system_clock time point only spans 1678-2261, but databases use "0001-01-01"
// and "9999-12-31" as sentinels, and those must still coerce.
constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::int64_t kMinMillis = -62'135'596'800'000;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxMillis = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

// Three-letter names, lowercase, one after another.
constexpr std::string_view kMonths = "janfebmaraprmayjunjulaugsepoctnovdec";
constexpr std::string_view kWeekdays = "montuewedthufrisatsun";

// 1-based position of the three letters at s[i...] in `names` (any case); 0 when absent.
unsigned name_index(std::string_view s, std::size_t i, std::string_view names) {
  if (i + 3 > s.size()) return 0;
  const char key[3] = {to_lower(s[i]), to_lower(s[i + 1]), to_lower(s[i + 2])};
  for (std::size_t k = 0; k + 3 <= names.size(); k += 3) {
    if (names.compare(k, 3, key, 3) == 0) return static_cast<unsigned>(k / 3 + 1);
  }
  return 0;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Days since 1970-01-01 of a calendar date; nullopt for dates that do not exist (2026-02-31).
std::optional<std::int64_t> civil_days(int y, unsigned m, unsigned d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::optional<std::int64_t> in_range(std::int64_t ms) {
  if (ms < kMinMillis || ms > kMaxMillis) return std::nullopt;
  return ms;
}

// A whole string read as a number: an exact int64 when it is one, else a finite double.
struct Number {
  bool is_int = false;
  std::int64_t i = 0;
  double d = 0;
};

std::optional<Number> parse_number(std::string_view s) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  const char* end = s.data() + s.size();
  Number n;
  auto [p, ec] = std::from_chars(s.data(), end, n.i);
  if (ec == std::errc{} && p == end) {
    n.is_int = true;
    n.d = static_cast<double>(n.i);
    return n;
  }
  auto [q, ec2] = std::from_chars(s.data(), end, n.d, std::chars_format::general);
  if (ec2 != std::errc{} || q != end || !std::isfinite(n.d)) return std::nullopt;
  return n;
}

// Epoch numbers. Integers are exact; a double is first rounded to whole microseconds (so
// 1700000000.123 s is 123 ms, not 122.99998) and then floored to milliseconds like integers.
std::optional<std::int64_t> epoch_millis(const Number& n, EpochUnit unit) {
  const double magnitude = std::fabs(n.d);
  if (unit == EpochUnit::kAuto) {
    unit = magnitude >= 1e14   ? EpochUnit::kMicros
           : magnitude >= 1e11 ? EpochUnit::kMillis
                               : EpochUnit::kSeconds;
  }
  const double us_per_unit = unit == EpochUnit::kSeconds  ? 1e6
                             : unit == EpochUnit::kMillis ? 1e3
                                                          : 1.0;
  if (magnitude * us_per_unit / 1000 > static_cast<double>(kMaxMillis) * 2) return std::nullopt;
  if (n.is_int) {
    if (unit == EpochUnit::kSeconds) return in_range(n.i * 1000);
    if (unit == EpochUnit::kMillis) return in_range(n.i);
    return in_range(floor_div(n.i, 1000));
  }
  return in_range(floor_div(std::llround(n.d * us_per_unit), 1000));
}

// Reads exactly `count` digits at s[i...] into `out` and advances i; leaves i alone on failure.
bool digits(std::string_view s, std::size_t& i, std::size_t count, int& out) {
  if (i + count > s.size()) return false;
  int value = 0;
  for (std::size_t k = i; k < i + count; ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    value = value * 10 + (s[k] - '0');
  }
  out = value;
  i += count;
  return true;
}

bool consume(std::string_view s, std::size_t& i, char c) {
  if (i >= s.size() || s[i] != c) return false;
  ++i;
  return true;
}

// "HH:MM[:SS[.fff...]]" to milliseconds into the day; rejects 24:00 and leap seconds.
std::optional<std::int64_t> parse_clock(std::string_view s, std::size_t& i) {
  int h = 0, m = 0, sec = 0, ms = 0;
  if (!digits(s, i, 2, h) || !consume(s, i, ':') || !digits(s, i, 2, m)) return std::nullopt;
  if (consume(s, i, ':')) {
    if (!digits(s, i, 2, sec)) return std::nullopt;
    if (consume(s, i, '.') || consume(s, i, ',')) {
      const std::size_t start = i;
      for (int scale = 100; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) {
        ms += (s[i] - '0') * scale;  // digits past milliseconds are truncated (scale is 0)
      }
      if (i == start) return std::nullopt;
    }
  }
  if (h > 23 || m > 59 || sec > 59) return std::nullopt;
  return ((h * 60 + m) * 60 + sec) * std::int64_t{1000} + ms;
}

// The zone after a time, optionally after one space: nothing (UTC), Z, UTC, GMT, UT (any
// case), or an offset +HH, +HHMM, +HH:MM. Returns the offset east of UTC in milliseconds.
std::optional<std::int64_t> parse_zone(std::string_view s) {
  if (s.empty()) return 0;
  if (s[0] == ' ') s.remove_prefix(1);
  if (iequals(s, "Z") || iequals(s, "UTC") || iequals(s, "GMT") || iequals(s, "UT")) return 0;
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const std::int64_t sign = s[0] == '-' ? -1 : 1;
  std::size_t i = 1;
  int h = 0, m = 0;
  if (!digits(s, i, 2, h)) return std::nullopt;
  if (i < s.size()) {
    consume(s, i, ':');
    if (!digits(s, i, 2, m) || i != s.size()) return std::nullopt;
  }
  if (h > 23 || m > 59) return std::nullopt;
  return sign * (h * 60 + m) * std::int64_t{60'000};
}

// ISO 8601 / RFC 3339 ("2026-11-27", "2026-11-27T10:31:02.5+01:00", "2026-11-27 10:31:02").
// Hand-written rather than strptime + timegm: strptime has no fractional seconds, reads "Z" and
// "+01:00" only in some libcs, depends on the locale and accepts 2026-02-31; timegm is a GNU
// extension. This also runs once per record, so it avoids both libc calls and allocations.
std::optional<std::int64_t> parse_iso(std::string_view s) {
  std::size_t i = 0;
  int y = 0, mo = 0, d = 0;
  if (!digits(s, i, 4, y) || !consume(s, i, '-') || !digits(s, i, 2, mo) || !consume(s, i, '-') ||
      !digits(s, i, 2, d)) {
    return std::nullopt;
  }
  auto days = civil_days(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  if (!days) return std::nullopt;
  if (i == s.size()) return *days * kMsPerDay;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
  auto clock = parse_clock(s, ++i);
  auto zone = clock ? parse_zone(s.substr(i)) : std::nullopt;
  if (!zone) return std::nullopt;
  return *days * kMsPerDay + *clock - *zone;
}

// RFC 1123 / RFC 2822: "[Fri, ]27 Nov 2026 10:31:02 GMT" (any case; the weekday is not checked
// against the date, as mail and HTTP software often gets it wrong).
std::optional<std::int64_t> parse_rfc1123(std::string_view s) {
  std::size_t i = 0;
  if (!s.empty() && std::isalpha(static_cast<unsigned char>(s[0]))) {
    if (name_index(s, 0, kWeekdays) == 0 || s.size() < 4 || s[3] != ',') return std::nullopt;
    for (i = 4; i < s.size() && s[i] == ' ';) ++i;
  }
  int d = 0, y = 0;
  if (!digits(s, i, 2, d) && !digits(s, i, 1, d)) return std::nullopt;
  const unsigned mo = consume(s, i, ' ') ? name_index(s, i, kMonths) : 0;
  i += 3;
  if (mo == 0 || !consume(s, i, ' ') || !digits(s, i, 4, y) || !consume(s, i, ' ')) {
    return std::nullopt;
  }
  auto days = civil_days(y, mo, static_cast<unsigned>(d));
  auto clock = days ? parse_clock(s, i) : std::nullopt;
  auto zone = clock ? parse_zone(s.substr(i)) : std::nullopt;
  if (!zone) return std::nullopt;
  return *days * kMsPerDay + *clock - *zone;
}

// The user's strptime format. `text` must stay NUL-terminated after `trimmed` (it is the
// JSON string), and only whitespace may follow what strptime consumed. strptime does not
// check day-of-month against the month, so the date is validated here.
std::optional<std::int64_t> parse_with_format(const std::string& text, std::string_view trimmed,
                                              const std::string& format) {
  struct tm tm {};
  tm.tm_mday = 1;  // a format without %d means the first of the month
  const char* end = strptime(trimmed.data(), format.c_str(), &tm);
  if (end == nullptr) return std::nullopt;
  for (const char* p = end; p < text.data() + text.size(); ++p) {
    if (!is_space(*p)) return std::nullopt;
  }
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 59) {
    return std::nullopt;
  }
  auto days = civil_days(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                         static_cast<unsigned>(tm.tm_mday));
  if (!days) return std::nullopt;
  const std::int64_t seconds = (tm.tm_hour * 60 + tm.tm_min) * 60 + tm.tm_sec - tm.tm_gmtoff;
  return *days * kMsPerDay + seconds * 1000;
}

std::optional<std::int64_t> parse_millis(const json& value, const CoerceOptions& options) {
  if (value.is_number()) {
    const double d = value.get<double>();
    // Past 1e18 no unit is in range; the bound also keeps large unsigned values out of int64.
    if (!std::isfinite(d) || std::fabs(d) > 1e18) return std::nullopt;
    const bool is_int = !value.is_number_float();
    return epoch_millis(Number{is_int, is_int ? value.get<std::int64_t>() : 0, d},
                        options.epoch_unit);
  }
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  const std::string_view s = trim(text);
  std::optional<std::int64_t> ms;
  if (!options.format.empty()) ms = parse_with_format(text, s, options.format);
  if (!ms) ms = parse_iso(s);  // first: it is the common case and fails fast on anything else
  if (!ms) {
    if (auto n = parse_number(s)) return epoch_millis(*n, options.epoch_unit);
    ms = parse_rfc1123(s);
  }
  return ms ? in_range(*ms) : std::nullopt;
}

// Writes "YYYY-MM-DD" (date_only) or "YYYY-MM-DDTHH:MM:SS[.mmm]Z" to `out`; returns the length.
std::size_t format_millis(std::int64_t ms, bool date_only, char (&out)[32]) {
  const std::int64_t days = floor_div(ms, kMsPerDay);
  std::int64_t rest = ms - days * kMsPerDay;
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  std::size_t n = 0;
  // Writes `v` in `width` digits, then `after` unless it is '\0'.
  auto put = [&](std::int64_t v, int width, char after) {
    for (int k = width - 1; k >= 0; --k, v /= 10) out[n + k] = static_cast<char>('0' + v % 10);
    n += width;
    if (after != '\0') out[n++] = after;
  };
  put(static_cast<int>(ymd.year()), 4, '-');
  put(static_cast<unsigned>(ymd.month()), 2, '-');
  put(static_cast<unsigned>(ymd.day()), 2, date_only ? '\0' : 'T');
  if (date_only) return n;
  put(rest / 3'600'000, 2, ':');
  put(rest / 60'000 % 60, 2, ':');
  put(rest / 1000 % 60, 2, rest % 1000 != 0 ? '.' : 'Z');
  if (rest % 1000 != 0) put(rest % 1000, 3, 'Z');
  return n;
}

// A decimal as text: optional sign, digits, optional fraction; no exponent.
bool is_decimal_text(std::string_view s) {
  std::size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  std::size_t int_digits = 0, frac_digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) ++int_digits;
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) ++frac_digits;
  }
  return i == s.size() && int_digits + frac_digits > 0;
}

Error not_a(const json& value, std::string_view what) {
  return Error::permanent(describe_value(value) + " is not " + std::string(what));
}

// A double that holds a whole number in int64 range, as an int.
std::optional<std::int64_t> whole(double d) {
  if (!std::isfinite(d) || d != std::trunc(d) || d < -9.2233720368547758e18 ||
      d >= 9.2233720368547758e18) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(d);
}

Result<json> to_int(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value;
  if (value.is_number_unsigned()) {
    if (value.get<std::uint64_t>() <= std::numeric_limits<std::int64_t>::max()) {
      return json(value.get<std::int64_t>());
    }
  } else if (value.is_number_float()) {
    if (auto i = whole(value.get<double>())) return json(*i);
  } else if (value.is_string()) {
    if (auto n = parse_number(trim(value.get_ref<const std::string&>()))) {
      if (n->is_int) return json(n->i);
      if (auto i = whole(n->d)) return json(*i);
    }
  }
  return not_a(value, "an int");
}

Result<json> to_float(const json& value) {
  if (value.is_number_float()) return value;
  if (value.is_number()) return json(value.get<double>());
  if (value.is_string()) {
    if (auto n = parse_number(trim(value.get_ref<const std::string&>()))) return json(n->d);
  }
  return not_a(value, "a float");
}

Result<json> to_decimal(const json& value) {
  if (value.is_number_integer()) return json(value.dump());
  if (value.is_number_float() && std::isfinite(value.get<double>())) {
    char buf[512];  // fixed notation of any finite double (at most ~330 characters)
    auto [end, ec] =
        std::to_chars(buf, buf + sizeof buf, value.get<double>(), std::chars_format::fixed);
    if (ec == std::errc{}) return json(std::string(buf, end));
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    const std::string_view s = trim(text);
    if (is_decimal_text(s)) return s.size() == text.size() ? value : json(std::string(s));
  }
  return not_a(value, "a decimal");
}

Result<json> to_bool(const json& value) {
  if (value.is_boolean()) return value;
  if (value.is_number()) {
    const double d = value.get<double>();
    if (d == 0 || d == 1) return json(d == 1);
  } else if (value.is_string()) {
    const std::string_view s = trim(value.get_ref<const std::string&>());
    for (std::string_view t : {"true", "yes", "1", "on"}) {
      if (iequals(s, t)) return json(true);
    }
    for (std::string_view f : {"false", "no", "0", "off"}) {
      if (iequals(s, f)) return json(false);
    }
  }
  return not_a(value, "a bool");
}

}  // namespace

Result<json> coerce(const json& value, const ValueType& type, const CoerceOptions& options) {
  if (value.is_null()) return value;
  switch (type.kind) {
    case ValueKind::kJson:
      return value;
    case ValueKind::kString:
      if (value.is_string()) return value;
      if (value.is_number() || value.is_boolean()) return json(value.dump());
      return not_a(value, "a string");
    case ValueKind::kInt:
      return to_int(value);
    case ValueKind::kFloat:
      return to_float(value);
    case ValueKind::kDecimal:
      return to_decimal(value);
    case ValueKind::kBool:
      return to_bool(value);
    case ValueKind::kTimestamp:
    case ValueKind::kDate: {
      const bool date_only = type.kind == ValueKind::kDate;
      auto ms = parse_millis(value, options);
      if (!ms) return not_a(value, date_only ? "a valid date" : "a valid timestamp");
      char buf[32];
      return json(std::string(buf, format_millis(*ms, date_only, buf)));
    }
    case ValueKind::kArray: {
      if (!value.is_array()) return not_a(value, "an array");
      if (!type.element || type.element->kind == ValueKind::kJson) return value;
      json out = json::array();
      auto& elements = out.get_ref<json::array_t&>();
      elements.reserve(value.size());
      for (std::size_t i = 0; i < value.size(); ++i) {
        auto element = coerce(value[i], *type.element, options);
        if (!element) {
          return Error::permanent("element [" + std::to_string(i) +
                                  "]: " + element.error().message());
        }
        elements.push_back(std::move(*element));
      }
      return out;
    }
  }
  return value;
}

std::optional<system_clock::time_point> parse_timestamp(const json& value,
                                                        const CoerceOptions& options) {
  auto ms = parse_millis(value, options);
  if (!ms) return std::nullopt;
  using std::chrono::milliseconds;
  const auto lo = std::chrono::ceil<milliseconds>(system_clock::time_point::min());
  const auto hi = std::chrono::floor<milliseconds>(system_clock::time_point::max());
  if (*ms < lo.time_since_epoch().count() || *ms > hi.time_since_epoch().count()) {
    return std::nullopt;
  }
  return system_clock::time_point{milliseconds{*ms}};
}

std::string format_timestamp(system_clock::time_point t) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
  char buf[32];
  return std::string(buf, format_millis(ms, false, buf));
}

std::string describe_value(const json& value, std::size_t max_chars) {
  const bool quote = value.is_string();
  // The replace handler: a message must never throw on a string that is not valid UTF-8.
  const std::string dumped =
      quote ? std::string() : value.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string_view body =
      quote ? std::string_view(value.get_ref<const std::string&>()) : std::string_view(dumped);
  // Cut at a code point boundary, counting code points (UTF-8 lead bytes).
  std::size_t chars = 0, cut = 0;
  for (; cut < body.size(); ++cut) {
    if ((static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) break;
    ++chars;
  }
  std::string out;
  out.reserve(cut + 5);
  if (quote) out += '\'';
  out.append(body.substr(0, cut));
  if (cut < body.size()) out += "...";
  if (quote) out += '\'';
  return out;
}

}  // namespace weft

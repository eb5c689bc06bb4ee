#include "admin/time_text.h"

#include <chrono>
#include <cstdio>

#include "config/units.h"

namespace weft::admin {
namespace {

using namespace std::chrono;

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> fixed_number(std::string_view text, std::size_t pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool char_at(std::string_view text, std::size_t pos, char expected) {
  return pos < text.size() && text[pos] == expected;
}

}  // namespace

std::optional<Clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)
  const auto year = fixed_number(text, 0, 4);
  const auto month = fixed_number(text, 5, 2);
  const auto day = fixed_number(text, 8, 2);
  const auto hour = fixed_number(text, 11, 2);
  const auto minute = fixed_number(text, 14, 2);
  const auto second = fixed_number(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (!char_at(text, 4, '-') || !char_at(text, 7, '-') || !char_at(text, 13, ':') ||
      !char_at(text, 16, ':')) {
    return std::nullopt;
  }
  if (!char_at(text, 10, 'T') && !char_at(text, 10, 't') && !char_at(text, 10, ' ')) {
    return std::nullopt;
  }
  // 60 is a leap second: SQLite, the clock and this parser all treat it as the next second.
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;

  std::size_t pos = 19;
  milliseconds fraction{0};
  if (char_at(text, pos, '.')) {
    ++pos;
    const std::size_t start = pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += milliseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  minutes offset{0};
  if (char_at(text, pos, 'Z') || char_at(text, pos, 'z')) {
    ++pos;
  } else if (char_at(text, pos, '+') || char_at(text, pos, '-')) {
    const auto offset_hours = fixed_number(text, pos + 1, 2);
    const auto offset_minutes = fixed_number(text, pos + 4, 2);
    if (!offset_hours || !offset_minutes || !char_at(text, pos + 3, ':') || *offset_hours > 23 ||
        *offset_minutes > 59) {
      return std::nullopt;
    }
    offset = hours(*offset_hours) + minutes(*offset_minutes);
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;  // a time without a zone is ambiguous
  }
  if (pos != text.size()) return std::nullopt;

  const auto local = sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) + fraction;
  return time_point_cast<Clock::duration>(local - offset);
}

std::optional<Clock::time_point> parse_time_or_ago(std::string_view text, Clock::time_point now) {
  if (auto time = parse_rfc3339(text)) return time;
  const auto ago = parse_duration_ms(text);
  if (!ago) return std::nullopt;
  const auto since_epoch = duration_cast<milliseconds>(now.time_since_epoch());
  if (milliseconds(*ago) >= since_epoch) return Clock::time_point{};
  return now - duration_cast<Clock::duration>(milliseconds(*ago));
}

std::string format_rfc3339(Clock::time_point time) {
  const auto ms = floor<milliseconds>(time);
  const auto days = floor<std::chrono::days>(ms);
  const year_month_day date{days};
  const hh_mm_ss clock{ms - days};
  char out[40];
  std::snprintf(
      out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return out;
}

}  // namespace weft::admin

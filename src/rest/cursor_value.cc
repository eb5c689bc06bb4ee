#include "rest/cursor_value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/text.h"

namespace weft::rest {
namespace {

using Micros = std::chrono::microseconds;
using SysMicros = std::chrono::sys_time<Micros>;

bool read_digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

std::string number_text(double value) {
  if (std::floor(value) == value && std::fabs(value) < 9e15) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

}  // namespace

std::optional<SysMicros> parse_timestamp(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 19 || !read_digits(text, 0, 4, year) || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != ' ' && text[10] != 't') || !read_digits(text, 11, 2, hour) ||
      text[13] != ':' || !read_digits(text, 14, 2, minute) || text[16] != ':' ||
      !read_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
    ++at;
    int digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 6; ++d) micros *= 10;
  }
  std::chrono::minutes offset{0};
  if (at < text.size()) {
    if (text[at] == 'Z' || text[at] == 'z') {
      ++at;
    } else if (text[at] == '+' || text[at] == '-') {
      int oh, om;
      bool colon = at + 3 < text.size() && text[at + 3] == ':';
      if (!read_digits(text, at + 1, 2, oh) || !read_digits(text, at + (colon ? 4 : 3), 2, om)) {
        return std::nullopt;
      }
      offset = std::chrono::minutes((oh * 60 + om) * (text[at] == '-' ? -1 : 1));
      at += colon ? 6 : 5;
    }
  }
  if (at != text.size()) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                   std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second) + Micros(micros) - offset;
}

Result<CursorValue> CursorValue::from_json(const nlohmann::json& value, CursorType type) {
  if (value.is_number()) {
    if (type == CursorType::kTimestamp) {
      return Error::permanent("cursor value " + value.dump() + " is a number, not a timestamp");
    }
    CursorValue v;
    v.type_ = type;
    v.kind_ = Kind::kNumber;
    v.number_ = value.get<double>();
    if (type == CursorType::kString) {
      v.kind_ = Kind::kString;
      v.text_ = value.dump();
    }
    return v;
  }
  if (value.is_string()) return from_text(value.get<std::string>(), type);
  return Error::permanent("cursor value " + value.dump() + " is neither a number nor a string");
}

Result<CursorValue> CursorValue::from_text(std::string_view text, CursorType type) {
  CursorValue v;
  v.type_ = type;
  v.text_ = std::string(text);
  auto as_number = parse_number<double>(text);
  auto as_time = parse_timestamp(text);
  switch (type) {
    case CursorType::kString:
      return v;
    case CursorType::kNumber:
    case CursorType::kEpochSeconds:
    case CursorType::kEpochMillis:
      if (!as_number) {
        return Error::permanent("cursor value '" + std::string(text) + "' is not a number");
      }
      v.kind_ = Kind::kNumber;
      v.number_ = *as_number;
      return v;
    case CursorType::kTimestamp:
      if (!as_time) {
        return Error::permanent("cursor value '" + std::string(text) +
                                "' is not a timestamp (ISO-8601 or YYYY-MM-DD HH:MM:SS)");
      }
      break;
    case CursorType::kAuto:
      if (as_number) {
        v.kind_ = Kind::kNumber;
        v.number_ = *as_number;
        return v;
      }
      if (!as_time) return v;
      break;
  }
  v.kind_ = Kind::kTimestamp;
  v.time_ = *as_time;
  v.layout_.separator = text[10] == ' ' ? ' ' : 'T';
  if (text.size() > 19 && (text[19] == '.' || text[19] == ',')) {
    std::size_t at = 20;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    v.layout_.fraction_digits = static_cast<int>(std::min<std::size_t>(at - 20, 6));
  }
  v.layout_.zulu = text.size() > 19 && text.find_first_of("Zz+-", 19) != std::string_view::npos;
  return v;
}

bool CursorValue::operator<(const CursorValue& other) const {
  if (kind_ == other.kind_ && kind_ == Kind::kNumber) return number_ < other.number_;
  if (kind_ == other.kind_ && kind_ == Kind::kTimestamp) return time_ < other.time_;
  return text() < other.text();
}

bool CursorValue::supports_lookback() const {
  return kind_ == Kind::kTimestamp || (kind_ == Kind::kNumber && type_ != CursorType::kNumber);
}

CursorValue CursorValue::minus(std::chrono::milliseconds lookback) const {
  CursorValue v = *this;
  if (lookback.count() == 0 || !supports_lookback()) return v;
  if (kind_ == Kind::kTimestamp) {
    v.time_ -= std::chrono::duration_cast<Micros>(lookback);
  } else if (type_ == CursorType::kEpochMillis) {
    v.number_ -= static_cast<double>(lookback.count());
  } else {
    v.number_ -= static_cast<double>(lookback.count()) / 1000.0;
    v.number_ = std::floor(v.number_);
  }
  v.text_.clear();
  return v;
}

std::string CursorValue::text() const {
  if (!text_.empty() || kind_ == Kind::kString) return text_;
  if (kind_ == Kind::kNumber) return number_text(number_);
  auto days = std::chrono::floor<std::chrono::days>(time_);
  std::chrono::year_month_day date{days};
  std::chrono::hh_mm_ss clock{time_ - days};
  char buf[64];
  int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02u%c%02d:%02d:%02d", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), layout_.separator,
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (layout_.fraction_digits > 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, "%06lld", static_cast<long long>(clock.subseconds().count()));
    out += '.';
    out.append(frac, static_cast<std::size_t>(layout_.fraction_digits));
  }
  if (layout_.zulu) out += 'Z';
  return out;
}

nlohmann::json CursorValue::to_json() const {
  if (kind_ == Kind::kNumber && text_.empty()) return number_;
  return text();
}

}  // namespace weft::rest

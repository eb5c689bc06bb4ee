#include "rest/schedule.h"

#include <vector>

#include "common/text.h"

namespace weft::rest {
namespace {

struct FieldRange {
  const char* name;
  int min;
  int max;
};

// Sets the bits one cron field selects; false when it does not parse or is out of range.
template <std::size_t N>
bool parse_field(std::string_view text, FieldRange range, std::bitset<N>& bits) {
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      auto s = parse_number<int>(item.substr(slash + 1));
      if (!s || *s <= 0) return false;
      step = *s;
      item = item.substr(0, slash);
    }
    int low = range.min;
    int high = range.max;
    if (item != "*") {
      auto dash = item.find('-');
      auto a = parse_number<int>(item.substr(0, dash));
      if (!a) return false;
      low = *a;
      high = *a;
      if (dash != std::string_view::npos) {
        auto b = parse_number<int>(item.substr(dash + 1));
        if (!b) return false;
        high = *b;
      } else if (step != 1) {
        high = range.max;  // "5/10" means from 5 on, every 10
      }
    }
    if (low < range.min || high > range.max || low > high) return false;
    for (int v = low; v <= high; v += step) bits.set(static_cast<std::size_t>(v));
  }
  return true;
}

}  // namespace

Result<CronExpression> CronExpression::parse(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    std::size_t start = at;
    while (at < text.size() && text[at] != ' ' && text[at] != '\t') ++at;
    if (at > start) fields.push_back(text.substr(start, at - start));
  }
  if (fields.size() != 5) {
    return Error::invalid_config("cron expression '" + std::string(text) + "' has " +
                                 std::to_string(fields.size()) +
                                 " fields; expected 5 (minute hour day-of-month month "
                                 "day-of-week)");
  }
  CronExpression c;
  c.text_ = std::string(text);
  std::bitset<8> weekdays;
  const FieldRange ranges[] = {{"minute", 0, 59},
                               {"hour", 0, 23},
                               {"day-of-month", 1, 31},
                               {"month", 1, 12},
                               {"day-of-week", 0, 7}};
  bool ok[] = {
      parse_field(fields[0], ranges[0], c.minutes_), parse_field(fields[1], ranges[1], c.hours_),
      parse_field(fields[2], ranges[2], c.days_), parse_field(fields[3], ranges[3], c.months_),
      parse_field(fields[4], ranges[4], weekdays)};
  for (int i = 0; i < 5; ++i) {
    if (!ok[i]) {
      return Error::invalid_config("cron expression '" + c.text_ + "': " + ranges[i].name +
                                   " field '" + std::string(fields[static_cast<std::size_t>(i)]) +
                                   "' is not valid (allowed " + std::to_string(ranges[i].min) +
                                   "-" + std::to_string(ranges[i].max) + ")");
    }
  }
  for (std::size_t d = 0; d < 7; ++d) c.weekdays_[d] = weekdays[d];
  if (weekdays[7]) c.weekdays_.set(0);
  c.days_restricted_ = fields[2] != "*";
  c.weekdays_restricted_ = fields[4] != "*";
  return c;
}

std::chrono::system_clock::time_point CronExpression::next_after(
    std::chrono::system_clock::time_point after) const {
  using namespace std::chrono;
  auto t = floor<minutes>(after) + minutes(1);
  // Four years of minutes bound the search (Feb 29 only exists once in four years); an
  // expression that never matches (Feb 31) ends there.
  const auto limit = t + days(4 * 366);
  while (t < limit) {
    auto day = floor<days>(t);
    year_month_day ymd{day};
    unsigned month = static_cast<unsigned>(ymd.month());
    if (!months_[month]) {
      t = sys_days(year_month_day{ymd.year(), ymd.month(), std::chrono::day(1)} +
                   std::chrono::months(1));
      continue;
    }
    bool dom = days_[static_cast<unsigned>(ymd.day())];
    bool dow = weekdays_[weekday(day).c_encoding()];
    bool day_ok = days_restricted_ && weekdays_restricted_ ? (dom || dow)
                  : days_restricted_                       ? dom
                  : weekdays_restricted_                   ? dow
                                                           : true;
    if (!day_ok) {
      t = day + days(1);
      continue;
    }
    hh_mm_ss clock{t - day};
    auto hour = static_cast<std::size_t>(clock.hours().count());
    if (!hours_[hour]) {
      t = day + hours(clock.hours().count() + 1);
      continue;
    }
    if (!minutes_[static_cast<std::size_t>(clock.minutes().count())]) {
      t += minutes(1);
      continue;
    }
    return t;
  }
  return limit;
}

Schedule Schedule::every(std::chrono::milliseconds interval) {
  Schedule s;
  s.interval_ = interval;
  return s;
}

Schedule Schedule::cron(CronExpression expression) {
  Schedule s;
  s.cron_ = std::move(expression);
  return s;
}

std::chrono::system_clock::time_point Schedule::next_run(
    std::chrono::system_clock::time_point last_start) const {
  if (cron_) return cron_->next_after(last_start);
  return last_start + interval_;
}

std::string Schedule::describe() const {
  if (cron_) return "cron '" + cron_->text() + "'";
  return "every " + std::to_string(interval_.count() / 1000) + "s";
}

}  // namespace weft::rest

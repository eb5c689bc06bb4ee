#pragma once

// When the runs of a polling source start: a fixed interval, or a five-field cron expression
// evaluated in UTC. Hand-written: no Debian library parses cron, and the subset is small.

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::rest {

class CronExpression {
 public:
  // "minute hour day-of-month month day-of-week": each field `*`, a number, a range `a-b`, a
  // step `*/n` or `a-b/n`, or a comma-separated list of those; day-of-week 0-7 (0 and 7 are
  // Sunday); month and weekday names are not supported. invalid_config naming the field.
  static Result<CronExpression> parse(std::string_view text);

  // The first minute strictly after `after` that matches. As in cron, when both day fields are
  // restricted a day matches if either does.
  std::chrono::system_clock::time_point next_after(
      std::chrono::system_clock::time_point after) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1-31
  std::bitset<13> months_;   // 1-12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

class Schedule {
 public:
  static Schedule every(std::chrono::milliseconds interval);
  static Schedule cron(CronExpression expression);

  // When the run after one that started at `last_start` is due.
  std::chrono::system_clock::time_point next_run(
      std::chrono::system_clock::time_point last_start) const;

  std::string describe() const;  // "every 300s", "cron '*/15 * * * *'"

 private:
  std::chrono::milliseconds interval_{300000};
  std::optional<CronExpression> cron_;
};

}  // namespace weft::rest

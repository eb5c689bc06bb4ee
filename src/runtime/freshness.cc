#include "runtime/freshness.h"

#include <algorithm>

#include "config/units.h"
#include "weft/settings.h"

namespace weft {
namespace {

using std::chrono::milliseconds;

milliseconds since(Clock::time_point now, Clock::time_point then) {
  // A clock that stepped back, or an event time from a producer whose clock runs ahead.
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(now - then));
}

// "16m40s" rather than "16m40s123ms"; tenths below ten seconds, so that a measured "1.4s"
// never reads as the "1s" of the SLO it breaks.
std::string measured(milliseconds d) {
  if (d < std::chrono::seconds(10)) {
    const auto tenths = d.count() / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
  }
  return format_duration_ms(d.count() / 1000 * 1000);
}

}  // namespace

FreshnessPolicy FreshnessPolicy::from(const Settings& freshness) {
  FreshnessPolicy policy;
  if (freshness.has("max_age")) policy.max_age = freshness.duration("max_age");
  policy.only_when_active = freshness.string("when") == "source_active";
  return policy;
}

FreshnessMonitor::FreshnessMonitor(FreshnessPolicy policy, Clock::time_point started)
    : policy_(policy), started_(started) {}

void FreshnessMonitor::delivered(Clock::time_point now, Clock::time_point newest_event_time) {
  const Clock::time_point data_time =
      newest_event_time == Clock::time_point{} ? now : newest_event_time;
  std::lock_guard lock(mutex_);
  newest_data_ = std::max(newest_data_, data_time);
  last_delivery_ = now;
}

FreshnessReading FreshnessMonitor::read(Clock::time_point now, bool work_waiting,
                                        std::optional<milliseconds> backlog_age) {
  std::lock_guard lock(mutex_);
  FreshnessReading r;
  r.age = since(now, newest_data_ == Clock::time_point{} ? started_ : newest_data_);
  r.active = work_waiting;
  if (!work_waiting) {
    active_since_ = {};
  } else if (active_since_ == Clock::time_point{}) {
    active_since_ = now;
  }
  if (policy_.only_when_active && work_waiting) {
    // The work has waited since it appeared, or since the last delivery if that came later:
    // a pipeline delivering steadily through a backlog is not stuck.
    r.waiting = since(now, std::max(active_since_, last_delivery_));
    if (backlog_age) r.waiting = std::max(r.waiting, *backlog_age);
  }
  if (!policy_.max_age) return r;
  const std::string slo = "max_age " + format_duration_ms(policy_.max_age->count());
  if (!policy_.only_when_active && r.age > *policy_.max_age) {
    r.breached = true;
    r.reason = "freshness SLO breached: the newest delivered data is " + measured(r.age) +
               " old (" + slo + ")";
  } else if (policy_.only_when_active && r.waiting > *policy_.max_age) {
    r.breached = true;
    r.reason = "freshness SLO breached: records have waited " + measured(r.waiting) +
               " without a delivery (" + slo + ", when source_active)";
  }
  return r;
}

}  // namespace weft

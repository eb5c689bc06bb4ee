#pragma once

// A pipeline's freshness: how old the newest delivered data is, and whether that breaks the
// pipeline's `freshness` SLO (docs/operations.md, "Freshness"). Pure logic over times the caller
// passes in, so tests drive it with any clock.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "weft/record.h"

namespace weft {

class Settings;

struct FreshnessPolicy {
  // The SLO: nullopt measures freshness without judging it.
  std::optional<std::chrono::milliseconds> max_age;
  // `when: source_active`: silence is no breach. The SLO is judged only while there is work
  // (records in flight, or a backlog the source reports), on how long that work has waited.
  bool only_when_active = false;

  // From the pipeline's validated `freshness` settings block.
  static FreshnessPolicy from(const Settings& freshness);
};

struct FreshnessReading {
  // Age of the newest delivered data: now minus its event time (delivery time for records
  // without one). Before the first delivery: time since the pipeline started.
  std::chrono::milliseconds age{0};
  // With only_when_active: how long the current work has waited for a delivery; 0 when idle.
  std::chrono::milliseconds waiting{0};
  bool active = false;  // work was waiting at the last reading
  bool breached = false;
  std::string reason;   // when breached: what was measured against which SLO
};

// Thread-safe.
class FreshnessMonitor {
 public:
  FreshnessMonitor(FreshnessPolicy policy, Clock::time_point started);

  const FreshnessPolicy& policy() const { return policy_; }

  // Records were delivered at `now`; `newest_event_time` is the latest event time among them,
  // or the epoch when none had one.
  void delivered(Clock::time_point now, Clock::time_point newest_event_time);

  // The reading at `now`. `work_waiting`: records are in flight or the source reports a
  // backlog; `backlog_age`: how long the source's oldest unread change has waited, if it knows.
  FreshnessReading read(Clock::time_point now, bool work_waiting,
                        std::optional<std::chrono::milliseconds> backlog_age);

 private:
  const FreshnessPolicy policy_;
  mutable std::mutex mutex_;
  Clock::time_point newest_data_;     // event (or delivery) time of the newest delivered record
  Clock::time_point last_delivery_;   // epoch until the first delivery
  Clock::time_point active_since_{};  // epoch while idle
  const Clock::time_point started_;
};

}  // namespace weft

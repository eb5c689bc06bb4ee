#pragma once

// What an operator sees and controls of a pipeline beside its data path: the pause
// (`weft pause`), freshness against its SLO, throughput, and taps (`weft tap`). The pipeline
// feeds it; /api, /readyz, the metrics and the events read it.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/freshness.h"
#include "runtime/tap.h"
#include "runtime/throughput.h"
#include "weft/source.h"

namespace spdlog {
class logger;
}

namespace weft {

class PipelineMetrics;
struct PipelineConfig;

// Thread-safe, except observe() (one thread at a time).
class PipelineControls {
 public:
  // `metrics` and `log` must outlive this.
  PipelineControls(const PipelineConfig& config, PipelineMetrics& metrics, spdlog::logger& log);

  // ---- the operator's pause
  bool paused() const { return paused_.load(); }
  std::optional<Clock::time_point> paused_since() const;
  // Pauses (now, or `since` when restoring a stored pause at start-up) or resumes, and logs it
  // as an event unless restored. False when nothing changed.
  bool set_paused(bool paused, std::optional<Clock::time_point> since = std::nullopt);

  // ---- freshness and throughput
  // Records were delivered (see FreshnessMonitor::delivered).
  void delivered(Clock::time_point newest_event_time);
  // The reading now. `in_flight`: records read and not yet settled; `backlog`: the source's
  // own. A paused pipeline is never judged stale: the operator chose the silence.
  FreshnessReading freshness(std::uint64_t in_flight, const std::optional<Backlog>& backlog);
  // freshness() into the gauges; logs each breach and each recovery once as an event.
  void observe(std::uint64_t in_flight, const std::optional<Backlog>& backlog);
  const FreshnessPolicy& freshness_policy() const { return freshness_.policy(); }
  Rates rates(std::uint64_t records_in, std::uint64_t records_out);

  TapHub& taps() { return taps_; }

 private:
  const std::string pipeline_;
  PipelineMetrics& metrics_;
  spdlog::logger& log_;
  std::atomic<bool> paused_{false};
  mutable std::mutex mutex_;
  std::optional<Clock::time_point> paused_since_;  // guarded by mutex_
  FreshnessMonitor freshness_;
  bool breached_ = false;  // at the last observe()
  ThroughputMeter throughput_;
  TapHub taps_;
};

}  // namespace weft

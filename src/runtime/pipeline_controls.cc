#include "runtime/pipeline_controls.h"

#include <spdlog/spdlog.h>

#include "config/pipeline_config.h"
#include "runtime/events.h"
#include "runtime/metrics.h"

namespace weft {

PipelineControls::PipelineControls(const PipelineConfig& config, PipelineMetrics& metrics,
                                   spdlog::logger& log)
    : pipeline_(config.name),
      metrics_(metrics),
      log_(log),
      freshness_(FreshnessPolicy::from(config.runtime.object("freshness")), Clock::now()),
      taps_(config.name, TapRedactor(config.mapping.get())) {}

std::optional<Clock::time_point> PipelineControls::paused_since() const {
  std::lock_guard lock(mutex_);
  return paused_since_;
}

bool PipelineControls::set_paused(bool paused, std::optional<Clock::time_point> since) {
  {
    std::lock_guard lock(mutex_);
    if (paused_since_.has_value() == paused) return false;
    if (paused) {
      paused_since_ = since.value_or(Clock::now());
    } else {
      paused_since_.reset();
    }
    paused_ = paused;
  }
  metrics_.operator_paused.Set(paused ? 1 : 0);
  if (since) return true;  // restored from the state store at start-up: not news
  if (paused) {
    event::log(log_, spdlog::level::info, event::kPipelinePaused,
               "paused by an operator: delivering what was read, then reading nothing until "
               "weft resume " + pipeline_);
  } else {
    event::log(log_, spdlog::level::info, event::kPipelineResumed, "resumed by an operator");
  }
  return true;
}

void PipelineControls::delivered(Clock::time_point newest_event_time) {
  freshness_.delivered(Clock::now(), newest_event_time);
}

FreshnessReading PipelineControls::freshness(std::uint64_t in_flight,
                                             const std::optional<Backlog>& backlog) {
  const bool waiting = in_flight > 0 || (backlog && backlog->pending > 0);
  FreshnessReading r =
      freshness_.read(Clock::now(), waiting, backlog ? backlog->age : std::nullopt);
  if (paused_) {
    r.breached = false;
    r.reason.clear();
  }
  return r;
}

void PipelineControls::observe(std::uint64_t in_flight, const std::optional<Backlog>& backlog) {
  const FreshnessReading r = freshness(in_flight, backlog);
  metrics_.freshness.Set(static_cast<double>(r.age.count()) / 1000);
  metrics_.freshness_breached.Set(r.breached ? 1 : 0);
  if (r.breached == breached_) return;
  breached_ = r.breached;
  if (r.breached) {
    event::log(log_, spdlog::level::warn, event::kFreshnessBreached, r.reason);
  } else {
    event::log(log_, spdlog::level::info, event::kFreshnessRecovered,
               "freshness back within its SLO");
  }
}

Rates PipelineControls::rates(std::uint64_t records_in, std::uint64_t records_out) {
  return throughput_.sample(std::chrono::steady_clock::now(), records_in, records_out);
}

}  // namespace weft

#pragma once

// Structured events: one log line per state change, with a stable name to alert on
// (docs/operations.md, "Events"). In JSON logs the name is the "event" field; in text logs the
// message starts with "event=<name> ".

#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace spdlog {
class logger;
}

namespace weft::event {

inline constexpr std::string_view kPipelineStarted = "pipeline.started";
inline constexpr std::string_view kPipelineStopped = "pipeline.stopped";
inline constexpr std::string_view kPipelineFailed = "pipeline.failed";
inline constexpr std::string_view kPipelinePaused = "pipeline.paused";
inline constexpr std::string_view kPipelineResumed = "pipeline.resumed";
inline constexpr std::string_view kBreakerOpened = "breaker.opened";
inline constexpr std::string_view kBreakerClosed = "breaker.closed";
inline constexpr std::string_view kDlqGuardTripped = "dlq.guard_tripped";
inline constexpr std::string_view kFreshnessBreached = "freshness.breached";
inline constexpr std::string_view kFreshnessRecovered = "freshness.recovered";
inline constexpr std::string_view kReloadApplied = "reload.applied";
inline constexpr std::string_view kReloadRejected = "reload.rejected";

// The prefix that marks a message as an event; the JSON log formatter lifts it into a field.
inline constexpr std::string_view kPrefix = "event=";

// Logs `message` as event `name` at `level`.
void log(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view name,
         std::string_view message);

}  // namespace weft::event

// How a pipeline's state reads in /api, /readyz and logs.
#include <nlohmann/json.hpp>

#include "admin/time_text.h"
#include "delivery/circuit_breaker.h"
#include "runtime/pipeline.h"

namespace weft {

const char* to_string(PipelineState state) {
  switch (state) {
    case PipelineState::kStarting: return "starting";
    case PipelineState::kRunning: return "running";
    case PipelineState::kPaused: return "paused";
    case PipelineState::kDraining: return "draining";
    case PipelineState::kStopped: return "stopped";
    case PipelineState::kFinished: return "finished";
    case PipelineState::kFailed: return "failed";
  }
  return "unknown";
}

nlohmann::json PipelineSnapshot::paused_text() const {
  if (paused_since) {
    return "paused by an operator since " + admin::format_rfc3339(*paused_since) +
           " (weft resume " + name + ")";
  }
  if (delivery.paused_reason.empty()) return nullptr;
  return delivery.paused_reason;
}

nlohmann::json PipelineSnapshot::freshness_json() const {
  auto seconds = [](std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000; };
  const auto& policy = freshness_policy;
  return {
      {"age_seconds", seconds(freshness.age)},
      {"waiting_seconds", seconds(freshness.waiting)},
      {"max_age_seconds", policy.max_age ? nlohmann::json(seconds(*policy.max_age)) : nullptr},
      {"when", policy.only_when_active ? "source_active" : "always"},
      {"breached", freshness.breached},
      {"reason", freshness.breached ? nlohmann::json(freshness.reason) : nullptr},
  };
}

nlohmann::json PipelineSnapshot::to_json() const {
  auto time_or_null = [](Clock::time_point t) -> nlohmann::json {
    if (t == Clock::time_point{}) return nullptr;
    return unix_seconds(t);
  };
  nlohmann::json out = {
      {"name", name},
      {"state", to_string(state)},
      {"error", error.empty() ? nlohmann::json(nullptr) : nlohmann::json(error)},
      {"checkpoint",
       {{"position", checkpoint ? nlohmann::json(*checkpoint) : nlohmann::json(nullptr)},
        {"committed_at", time_or_null(checkpoint_time)}}},
      {"last_success_at", time_or_null(last_success)},
      {"records",
       {{"in", records_in},
        {"out", records_out},
        {"in_flight", in_flight},
        {"dead_lettered", delivery.dead_lettered},
        {"duplicates", delivery.duplicates},
        {"filtered", delivery.filtered},
        {"replayed", delivery.replayed}}},
      {"circuit_breaker",
       {{"state", to_string(static_cast<BreakerState>(delivery.breaker_state))},
        {"value", delivery.breaker_state},
        {"detail", delivery.breaker}}},
      {"paused", paused_text()},
      {"paused_since", paused_since ? nlohmann::json(unix_seconds(*paused_since))
                                    : nlohmann::json(nullptr)},
      {"rates", {{"in_per_second", rates.in_per_second}, {"out_per_second", rates.out_per_second}}},
      {"freshness", freshness_json()},
      {"dlq_depth", delivery.dlq_depth < 0 ? nlohmann::json(nullptr)
                                           : nlohmann::json(delivery.dlq_depth)},
  };
  if (mapped) {
    // Schema drift: source fields the mapping does not read, with how many records had them.
    out["mapping"] = {{"model", model.empty() ? nlohmann::json(nullptr) : nlohmann::json(model)},
                      {"unknown_fields", unknown_fields}};
  }
  return out;
}

}  // namespace weft

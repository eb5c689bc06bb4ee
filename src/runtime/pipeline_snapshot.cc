// How a pipeline's state reads in /api, /readyz and logs.
#include <nlohmann/json.hpp>

#include "delivery/circuit_breaker.h"
#include "runtime/pipeline.h"

namespace weft {

const char* to_string(PipelineState state) {
  switch (state) {
    case PipelineState::kStarting: return "starting";
    case PipelineState::kRunning: return "running";
    case PipelineState::kDraining: return "draining";
    case PipelineState::kStopped: return "stopped";
    case PipelineState::kFinished: return "finished";
    case PipelineState::kFailed: return "failed";
  }
  return "unknown";
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
      {"paused", delivery.paused_reason.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(delivery.paused_reason)},
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

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/pipeline_config.h"
#include "runtime/delivery.h"
#include "runtime/freshness.h"
#include "runtime/shared_services.h"
#include "runtime/tap.h"
#include "runtime/throughput.h"
#include "weft/record.h"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace weft {

class PipelineMetrics;
class StateStore;

// Seconds since the Unix epoch, as Prometheus gauges and /api report times.
inline double unix_seconds(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// kPaused is running, but held by an operator (`weft pause`): snapshots only, never set.
enum class PipelineState { kStarting, kRunning, kPaused, kDraining, kStopped, kFinished, kFailed };
const char* to_string(PipelineState state);

// A point-in-time view of a pipeline for /readyz, /api and logs.
struct PipelineSnapshot {
  std::string name;
  PipelineState state = PipelineState::kStarting;
  std::string error;           // why it failed, or the problem it is retrying through
  std::optional<Position> checkpoint;
  Clock::time_point checkpoint_time{};
  Clock::time_point last_success{};
  std::uint64_t records_in = 0;
  std::uint64_t records_out = 0;
  std::uint64_t in_flight = 0;
  DeliveryStatus delivery;  // breaker, pauses, dead letters, duplicates
  bool mapped = false;      // the pipeline has a mapping (model, map, filter or route)
  std::string model;        // its canonical model ("customer@v2"), if any
  std::map<std::string, std::uint64_t> unknown_fields;  // schema drift: field -> records
  std::optional<Clock::time_point> paused_since;  // an operator paused it (weft pause)
  Rates rates;
  FreshnessPolicy freshness_policy;
  FreshnessReading freshness;

  nlohmann::json to_json() const;
  nlohmann::json paused_text() const;  // why it is paused, for people; null when it is not
  nlohmann::json freshness_json() const;
};

// Runs one pipeline: a reader coroutine pulls batches from the source into a bounded channel
// (backpressure), a writer coroutine hands them to the sink with retries and acknowledges them
// to the AckTracker, and checkpoints commit the acknowledged watermark: sink flush, then the
// state store, then the source (DESIGN.md §3).
//
// Thread-safe. Callbacks run on the io_context's threads. The object must stay alive until
// `on_stopped` has run (the supervisor owns it through a shared_ptr).
class Pipeline {
 public:
  Pipeline(boost::asio::io_context& io, PipelineConfig config, StateStore& state,
           std::shared_ptr<PipelineMetrics> metrics, std::shared_ptr<spdlog::logger> logger,
           SharedServices shared = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Connects and starts moving records. Failures show in snapshot() (state kFailed).
  void start();

  // Drains: stops reading, delivers what is in flight, commits the checkpoint, closes both
  // connectors, then calls `on_stopped` once. Calling it on a pipeline that already ended calls
  // `on_stopped` right away.
  void stop(std::function<void()> on_stopped);

  // The drain deadline passed: stop retrying and waiting, commit what is acknowledged, close.
  // Records not acknowledged are read again on the next start, so nothing is lost.
  void abort();

  PipelineSnapshot snapshot() const;
  const PipelineConfig& config() const;

  // Asks a running pipeline's source to start its next scheduled run now (Source::trigger);
  // false when the pipeline is not running or its source has no runs.
  bool trigger();

  // An operator pauses (`weft pause`) or resumes it. Paused, it reads nothing, but delivers
  // what it has read and commits. The caller persists the choice; start() reads it back.
  void set_paused(bool paused);

  // A stream of up to `limit` records seen at `stage` from now on (`weft tap`); it ends when
  // the pipeline stops.
  std::shared_ptr<TapStream> tap(TapStage stage, std::size_t limit);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace weft

#pragma once

// The delivery middleware every sink is wrapped in (DESIGN.md §4, docs/delivery.md): dedupe by
// idempotency key, rate limit, circuit breaker, retry with backoff, and the dead-letter queue.
// Connectors only classify their errors; this decides what happens to each record.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/pipeline_config.h"
#include "runtime/ack_tracker.h"
#include "weft/record.h"
#include "weft/sink.h"

namespace spdlog {
class logger;
}

namespace weft {

class Mapper;
class PipelineMetrics;
class RateLimiterRegistry;
class StateStore;
class TapHub;

// What the pipeline lends the delivery stage. Everything must outlive it.
struct DeliveryEnvironment {
  const PipelineConfig& config;
  Sink& sink;
  StateStore& state;
  PipelineMetrics& metrics;
  spdlog::logger& log;
  AckTracker& tracker;
  const std::atomic<bool>& stopping;  // draining: do not wait for an open circuit breaker
  const std::atomic<bool>& aborting;  // the drain deadline passed: give up waiting
  // Shared named limits from the daemon config; may be null when there are none.
  const RateLimiterRegistry* shared_limits = nullptr;
  // The pipeline's mapping (model, map, filter, route); null when it has none.
  const Mapper* mapper = nullptr;
  // The current problem, for /readyz and /api ("" when there is none).
  std::function<void(const std::string&)> note_problem;
  // `count` records were delivered just now; the latest event time among them, or the epoch
  // when none had one.
  std::function<void(std::size_t count, Clock::time_point newest_event_time)> delivered;
  // The pipeline's taps (`weft tap`): the mapped and sink stages are published from here.
  TapHub* tap = nullptr;
  // The source may read again (the breaker closed); wakes a reader waiting in a pause.
  std::function<void()> resume_source;
};

// Point-in-time view for /api, /readyz and metrics. Thread-safe to take.
struct DeliveryStatus {
  int breaker_state = 0;      // 0 closed, 1 half-open, 2 open
  std::string breaker;        // "closed" or how it is open, for people
  std::string paused_reason;  // why the source is paused; empty when it is not
  bool dlq_guard_tripped = false;  // paused by max_dlq_rate: only a restart lifts it
  std::uint64_t dead_lettered = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t filtered = 0;
  std::uint64_t replayed = 0;
  std::int64_t dlq_depth = -1;  // -1: unknown (no state-store DLQ)
};

// Runs on the pipeline's writer strand only, except where noted.
class Delivery {
 public:
  // Fails with an invalid_config Error naming the setting (an unknown shared rate limit, an
  // idempotency key that does not parse).
  static Result<std::unique_ptr<Delivery>> create(DeliveryEnvironment env);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Settles every record of `records` (tracked from sequence `first`): filtered, delivered,
  // recognised as a duplicate, or durably dead-lettered, and acknowledges each to the tracker once it is.
  // Returns false when it stopped first, leaving the rest unacknowledged (read again after a
  // restart): with `stop_reason` set when the pipeline must fail (a record cannot be delivered
  // and the DLQ is disabled, the state store refuses it), empty on an abort or a drain that met
  // an open circuit breaker.
  boost::asio::awaitable<bool> deliver(Sequence first, const Batch& records,
                                       std::string& stop_reason);

  // Delivers the dead letters marked for replay (`weft dlq replay`): each delivered one leaves
  // the queue; one that fails again stays with its new error. Call when the writer is idle.
  boost::asio::awaitable<void> replay_marked(std::string& stop_reason);

  // The sink flushed successfully: records it delivered are durable, so their idempotency keys
  // are remembered and replayed dead letters leave the queue. Call before saving a checkpoint.
  void sink_flushed();

  // Periodic housekeeping: refreshes the DLQ depth and purges expired idempotency keys.
  void maintain();

  // Thread-safe: the reader asks before every read.
  bool source_paused() const;
  DeliveryStatus status() const;

 private:
  struct Impl;
  explicit Delivery(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft

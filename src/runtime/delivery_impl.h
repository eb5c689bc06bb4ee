#pragma once

// The delivery stage's state and steps, private to src/runtime. delivery.cc holds the delivery
// loop (dedupe, rate limit, circuit breaker, write, retry) and the public methods;
// delivery_settle.cc what happens to each record afterwards (acknowledgements, dead letters,
// idempotency keys, replays) and the periodic bookkeeping.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "delivery/circuit_breaker.h"
#include "delivery/dead_letter_rate_guard.h"
#include "delivery/rate_limiter.h"
#include "delivery/record_template.h"
#include "delivery/retry_policy.h"
#include "runtime/backoff.h"
#include "runtime/dead_letter_file.h"
#include "runtime/write_turns.h"
#include "runtime/delivery.h"
#include "state/state_store.h"

namespace weft {

struct Delivery::Impl {
  using SteadyClock = std::chrono::steady_clock;

  // One record that did not make it, on its way to the dead-letter queue.
  struct Failed {
    std::size_t index;  // into the work's records
    Error error;
    const char* stage;  // "source", "map", "idempotency", "sink"
  };

  // A batch on its way through the stage. Source batches are acknowledged to the tracker; a replay
  // batch comes from the DLQ, and settling an entry updates or removes it there instead.
  struct Work {
    Work(const Batch& source, Sequence first, const std::vector<DeadLetter>* replays = nullptr)
        : source(source), first(first), replays(replays) {}

    const Batch& source;  // as read (or as kept in the DLQ); dead letters keep these
    Sequence first = 0;
    const std::vector<DeadLetter>* replays = nullptr;
    Batch mapped;             // the mapper's output by index (empty where filtered or failed)
    bool use_mapped = false;  // the pipeline maps: the sink gets `mapped`
    std::vector<std::size_t> candidates;  // ascending indices still to deliver after mapping
    std::vector<std::string> keys;  // idempotency keys by index; empty when dedupe is off
    std::vector<int> attempts;      // attempts counted against retry.max_attempts, by index
    Clock::time_point first_failure{};

    bool replay() const { return replays != nullptr; }
    std::size_t size() const { return source.size(); }
    // What the sink is given: the mapped records, or the source's when there is no mapping.
    const Batch& records() const { return use_mapped ? mapped : source; }
  };

  explicit Impl(DeliveryEnvironment e) : env(std::move(e)) {}

  DeliveryEnvironment env;
  RetryPolicy retry;
  std::optional<CircuitBreaker> breaker;
  std::shared_ptr<TokenBucket> limiter;
  WriteTurns turns;  // used when the sink prepares batches ahead
  std::optional<RecordTemplate> key_template;
  std::chrono::milliseconds key_ttl{0};
  std::size_t max_keys = 0;
  bool dlq_enabled = true;
  std::unique_ptr<DeadLetterFile> dlq_file;  // set for dlq.target: file
  DeadLetterRateGuard dlq_guard{0, 1};

  // Time spent paused by the breaker; it does not count against retry.max_elapsed.
  SteadyClock::duration paused_total{};
  SteadyClock::time_point last_key_purge{};
  SteadyClock::time_point last_depth_count{};
  std::unordered_set<std::string> unflushed_keys;  // see hold_keys()
  std::vector<std::int64_t> settled_replays;       // replayed entries delivered, not yet flushed
  std::map<std::string, std::uint64_t> reported_drift;  // unknown fields already in the metric

  std::atomic<bool> paused_by_breaker{false};
  std::atomic<bool> paused_by_guard{false};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> filtered{0};
  std::atomic<std::uint64_t> replayed{0};
  std::atomic<std::int64_t> dlq_depth{-1};
  mutable std::mutex reason_mutex;
  std::string guard_reason;
  std::string breaker_reason;

  const std::string& pipeline() const { return env.config.name; }
  std::string sink_name() const { return "sink " + env.config.sink.type; }
  bool state_dlq() const { return dlq_enabled && !dlq_file; }

  // ---- waiting ------------------------------------------------------------------------
  // Sleeps for `delay` unless the pipeline is aborting; false when it is.
  boost::asio::awaitable<bool> sleep(std::chrono::nanoseconds delay);
  // Waits out a failed state-store operation (lock contention) before trying again.
  boost::asio::awaitable<bool> store_retry_wait(Backoff& backoff, const Error& error,
                                                const char* what);

  // ---- circuit breaker ----------------------------------------------------------------
  // Returns once a write may go out: at once while the breaker is closed; otherwise after the
  // cool-down, as the single half-open probe. The source stays paused meanwhile. A drain does
  // not wait for an open breaker: what is not delivered is read again after the restart.
  boost::asio::awaitable<bool> breaker_allows();
  // `failure`: the write failed as a whole with this retryable error; null: it got through.
  void record_breaker_outcome(const Error* failure);
  void update_paused_gauge();

  // ---- the max_dlq_rate guard -----------------------------------------------------------
  void record_outcomes(std::size_t count, bool dead);

  // ---- settling -----------------------------------------------------------------------
  // Keys of delivered records wait here until the sink's next successful flush: remembering a
  // key before its record is durable downstream would make a crash lose the record (the key
  // would call its re-read a duplicate).
  void hold_keys(const Work& w, const std::vector<std::size_t>& indices);
  // The sink flushed: what it delivered is durable, so its keys may be remembered. A failure
  // only means a duplicate might be sent later; the keys stay for the next flush.
  void remember_flushed_keys();
  // Settled replay entries leave the queue only after the sink flushed them (see hold_keys).
  void hold_replayed(const Work& w, const std::vector<std::size_t>& indices);
  void settle_delivered(const Work& w, const std::vector<std::size_t>& indices);
  void settle_duplicates(const Work& w, const std::vector<std::size_t>& indices);
  // Acknowledges ascending `indices` of a source batch, one tracker call per consecutive run
  // (usually the whole batch at once).
  void acknowledge(const Work& w, const std::vector<std::size_t>& indices);
  std::string describe_failure(const Work& w, const Failed& f) const;
  DeadLetter letter_for(const Work& w, const Failed& f, Clock::time_point now) const;
  // Writes the failed records to the DLQ (durably) and only then acknowledges them. False, with
  // `stop_reason`, when they cannot be kept: the DLQ is off or refuses them.
  boost::asio::awaitable<bool> dead_letter(Work& w, const std::vector<Failed>& failed,
                                           std::string& stop_reason);

  // ---- mapping ------------------------------------------------------------------------
  // Maps every record (docs/mapping.md): acknowledges the filtered ones, dead-letters those
  // that break the mapping or the model, and leaves the rest in `w.candidates`. Waits out a
  // busy crosswalk store. False when it stopped first.
  boost::asio::awaitable<bool> map_stage(Work& w, std::string& stop_reason);
  void settle_filtered(const Work& w, const std::vector<std::size_t>& indices);

  // ---- idempotency --------------------------------------------------------------------
  // Renders every key, dead-letters records whose key cannot be rendered, acknowledges
  // duplicates (of earlier deliveries or earlier in this batch), and returns what is left.
  boost::asio::awaitable<std::optional<std::vector<std::size_t>>> dedupe(Work& w,
                                                                         std::string& stop_reason);

  // ---- the delivery loop --------------------------------------------------------------
  // Waits for the rate limiter's tokens for `count` records.
  boost::asio::awaitable<bool> take_tokens(std::size_t count);
  boost::asio::awaitable<bool> run(Work& w, std::string& stop_reason);
};

}  // namespace weft

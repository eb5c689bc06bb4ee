#include "runtime/delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <ctime>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <utility>

#include "delivery/circuit_breaker.h"
#include "delivery/dead_letter_rate_guard.h"
#include "delivery/rate_limiter.h"
#include "delivery/record_template.h"
#include "delivery/retry_policy.h"
#include "runtime/dead_letter_file.h"
#include "runtime/delivery_options.h"
#include "runtime/metrics.h"
#include "state/state_store.h"

namespace weft {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;

// How often expired idempotency keys are purged, and how many go per round (bounded so one
// round never holds the state store for long).
constexpr auto kKeyPurgeInterval = std::chrono::seconds(60);
constexpr std::size_t kKeyPurgeBatch = 50000;
// How often the DLQ depth is recounted from the state store.
constexpr auto kDepthRecountInterval = std::chrono::seconds(5);
// How often a writer held by an open circuit breaker checks whether the pipeline is stopping.
constexpr std::chrono::milliseconds kStopCheckInterval{100};

// One record that did not make it, on its way to the dead-letter queue.
struct Failed {
  std::size_t index;  // into the work's records
  Error error;
  const char* stage;  // "sink", "idempotency"
};

// A batch on its way through the stage. Source batches are acknowledged to the tracker; a replay
// batch comes from the DLQ, and settling an entry updates or removes it there instead.
struct Work {
  Work(const Batch& records, Sequence first, const std::vector<DeadLetter>* replays = nullptr)
      : records(records), first(first), replays(replays) {}

  const Batch& records;
  Sequence first = 0;
  const std::vector<DeadLetter>* replays = nullptr;
  std::vector<std::string> keys;  // idempotency keys by index; empty when dedupe is off
  std::vector<int> attempts;      // attempts counted against retry.max_attempts, by index
  Clock::time_point first_failure{};

  bool replay() const { return replays != nullptr; }
};

// "2026-11-27T10:31:02Z", for messages that stay on display (the status of an open breaker).
std::string utc_text(Clock::time_point t) {
  const std::time_t seconds = Clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string percent(double fraction) {
  return std::to_string(static_cast<int>(std::lround(fraction * 100))) + "%";
}

}  // namespace

struct Delivery::Impl {
  explicit Impl(DeliveryEnvironment e) : env(std::move(e)) {}

  DeliveryEnvironment env;
  RetryPolicy retry;
  std::optional<CircuitBreaker> breaker;
  std::shared_ptr<TokenBucket> limiter;
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

  std::atomic<bool> paused_by_breaker{false};
  std::atomic<bool> paused_by_guard{false};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::uint64_t> duplicates{0};
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
  awaitable<bool> sleep(std::chrono::nanoseconds delay) {
    if (env.aborting) co_return false;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return !env.aborting;
  }

  // Waits out a failed state-store operation (lock contention) before trying again.
  awaitable<bool> store_retry_wait(Backoff& backoff, const Error& error, const char* what) {
    auto delay = backoff.next(error.retry_after());
    env.log.warn("{} failed: {} (retrying in {} ms)", what, error.message(), delay.count());
    env.note_problem(std::string(what) + ": " + error.message());
    bool go_on = co_await sleep(delay);
    co_return go_on;
  }

  // ---- circuit breaker ----------------------------------------------------------------

  // Returns once a write may go out: at once while the breaker is closed; otherwise after the
  // cool-down, as the single half-open probe. The source stays paused meanwhile. A drain does
  // not wait for an open breaker: what is not delivered is read again after the restart.
  awaitable<bool> breaker_allows() {
    if (!breaker) co_return true;
    for (;;) {
      const auto now = SteadyClock::now();
      if (breaker->allow_request(now)) {
        env.metrics.breaker_state.Set(static_cast<double>(breaker->state()));  // maybe half-open
        co_return true;
      }
      if (env.stopping) co_return false;
      // In slices, so a drain that starts meanwhile is noticed within one.
      auto wait = std::clamp(breaker->time_until_probe(now), std::chrono::milliseconds(1),
                             kStopCheckInterval);
      bool go_on = co_await sleep(wait);
      paused_total += SteadyClock::now() - now;
      if (!go_on) co_return false;
    }
  }

  void record_breaker_outcome(bool failed) {
    if (!breaker) return;
    const auto now = SteadyClock::now();
    const BreakerState before = breaker->state();
    if (failed) {
      breaker->record_failure(now);
    } else {
      breaker->record_success(now);
    }
    const BreakerState after = breaker->state();
    env.metrics.breaker_state.Set(static_cast<double>(after));
    if (after == before) return;
    if (after == BreakerState::kClosed) {
      env.log.info("circuit breaker closed: {} is delivering again; source resumed", sink_name());
      {
        std::lock_guard lock(reason_mutex);
        breaker_reason.clear();
      }
      paused_by_breaker = false;
      update_paused_gauge();
      env.resume_source();
    } else if (after == BreakerState::kOpen) {
      std::string why = "circuit breaker open for " + sink_name() + " since " +
                        utc_text(Clock::now()) + ": " + breaker->describe(now) + "; source paused";
      env.log.warn("{}, one probe write after the cool-down", why);
      {
        std::lock_guard lock(reason_mutex);
        breaker_reason = std::move(why);
      }
      paused_by_breaker = true;
      update_paused_gauge();
    }
  }

  void update_paused_gauge() {
    env.metrics.source_paused.Set(paused_by_breaker || paused_by_guard ? 1 : 0);
  }

  // ---- the max_dlq_rate guard -----------------------------------------------------------

  void record_outcomes(std::size_t count, bool dead) {
    if (!dlq_guard.record(count, dead)) return;
    std::string why = "dead-letter rate " + percent(dlq_guard.rate()) + " of the last " +
                      std::to_string(dlq_guard.window()) + " records is above dlq.max_dlq_rate " +
                      percent(dlq_guard.max_rate()) +
                      ": source paused (fix the cause, then send weft SIGHUP to restart the "
                      "pipeline, and `weft dlq replay` what was dead-lettered)";
    env.log.error("{}", why);
    {
      std::lock_guard lock(reason_mutex);
      guard_reason = std::move(why);
    }
    paused_by_guard = true;
    update_paused_gauge();
  }

  // ---- settling -----------------------------------------------------------------------

  // Keys of delivered records wait here until the sink's next successful flush: remembering a
  // key before its record is durable downstream would make a crash lose the record (the key
  // would call its re-read a duplicate).
  void hold_keys(const Work& w, const std::vector<std::size_t>& indices) {
    if (w.keys.empty()) return;
    for (std::size_t i : indices) unflushed_keys.insert(w.keys[i]);
  }

  // The sink flushed: what it delivered is durable, so its keys may be remembered. A failure
  // only means a duplicate might be sent later; the keys stay for the next flush.
  void remember_flushed_keys() {
    if (unflushed_keys.empty()) return;
    const std::vector<std::string> keys(unflushed_keys.begin(), unflushed_keys.end());
    Status s = env.state.remember_keys(pipeline(), keys, Clock::now() + key_ttl);
    if (!s.ok()) {
      env.log.warn("idempotency keys not saved (retried at the next checkpoint): {}",
                   s.error().message());
      return;
    }
    unflushed_keys.clear();
  }

  // Settled replay entries leave the queue only after the sink flushed them (see hold_keys).
  void hold_replayed(const Work& w, const std::vector<std::size_t>& indices) {
    for (std::size_t i : indices) settled_replays.push_back((*w.replays)[i].id);
  }

  void settle_delivered(const Work& w, const std::vector<std::size_t>& indices) {
    if (indices.empty()) return;
    hold_keys(w, indices);
    if (w.replay()) {
      hold_replayed(w, indices);
      replayed += indices.size();
      env.metrics.replayed.Increment(static_cast<double>(indices.size()));
    } else {
      acknowledge(w, indices);
      record_outcomes(indices.size(), false);
    }
    env.delivered(indices.size());
  }

  void settle_duplicates(const Work& w, const std::vector<std::size_t>& indices) {
    if (indices.empty()) return;
    duplicates += indices.size();
    env.metrics.duplicates.Increment(static_cast<double>(indices.size()));
    if (w.replay()) {
      hold_replayed(w, indices);
    } else {
      acknowledge(w, indices);
    }
  }

  // Acknowledges ascending `indices` of a source batch, one tracker call per consecutive run
  // (usually the whole batch at once).
  void acknowledge(const Work& w, const std::vector<std::size_t>& indices) {
    std::size_t run_start = 0;
    for (std::size_t k = 1; k <= indices.size(); ++k) {
      if (k < indices.size() && indices[k] == indices[k - 1] + 1) continue;
      env.tracker.ack_range(w.first + indices[run_start], k - run_start);
      run_start = k;
    }
  }

  std::string describe_failure(const Work& w, const Failed& f) const {
    std::string stage = f.stage == std::string("sink") ? sink_name() : f.stage;
    return stage + ": " + f.error.message() + " (record at position " +
           w.records[f.index].position + ")";
  }

  DeadLetter letter_for(const Work& w, const Failed& f, Clock::time_point now) const {
    DeadLetter letter;
    letter.pipeline = pipeline();
    letter.stage = f.stage;
    letter.error_kind = f.error.retryable() ? "retryable" : "permanent";
    letter.error = f.error.message();
    letter.attempts = std::max(1, w.attempts[f.index]);
    letter.first_failure = w.first_failure == Clock::time_point{} ? now : w.first_failure;
    letter.last_failure = now;
    letter.record = w.records[f.index];
    return letter;
  }

  // Writes the failed records to the DLQ (durably) and only then acknowledges them. False, with
  // `stop_reason`, when they cannot be kept: the DLQ is off or refuses them.
  awaitable<bool> dead_letter(Work& w, const std::vector<Failed>& failed,
                              std::string& stop_reason) {
    if (failed.empty()) co_return true;
    if (!dlq_enabled) {
      stop_reason = describe_failure(w, failed.front()) +
                    "; dead-letter queue disabled (dlq.enabled: false), so the pipeline stops "
                    "before this record";
      co_return false;
    }
    const auto now = Clock::now();
    if (w.replay()) {
      for (const Failed& f : failed) {
        const DeadLetter& entry = (*w.replays)[f.index];
        Status s = env.state.record_replay_failure(
            entry.id, f.error.retryable() ? "retryable" : "permanent", f.error.message(),
            std::max(1, w.attempts[f.index]), now);
        if (!s.ok()) env.log.error("dead letter {}: {}", entry.id, s.error().message());
      }
      env.log.warn("{} replayed dead letter(s) failed again: {}", failed.size(),
                   describe_failure(w, failed.front()));
      co_return true;
    }

    std::vector<DeadLetter> letters;
    letters.reserve(failed.size());
    for (const Failed& f : failed) letters.push_back(letter_for(w, f, now));
    Backoff backoff = retry.make_backoff();
    for (;;) {
      Status s = dlq_file ? dlq_file->append(letters) : env.state.add_dead_letters(letters);
      if (s.ok()) break;
      if (!s.error().retryable()) {
        stop_reason = "dead-letter queue: " + s.error().message();
        co_return false;
      }
      bool go_on = co_await store_retry_wait(backoff, s.error(), "dead-letter queue");
      if (!go_on) co_return false;
    }
    for (const Failed& f : failed) {
      env.tracker.ack(w.first + f.index);
      if (f.stage == std::string("idempotency")) {
        env.metrics.dead_lettered_idempotency.Increment();
      } else {
        env.metrics.dead_lettered_sink.Increment();
      }
    }
    dead_lettered += failed.size();
    if (state_dlq()) {
      dlq_depth += static_cast<std::int64_t>(failed.size());
      env.metrics.dlq_depth.Set(static_cast<double>(dlq_depth.load()));
    }
    env.log.warn("dead-lettered {} record(s); first: {}", failed.size(),
                 describe_failure(w, failed.front()));
    record_outcomes(failed.size(), true);
    co_return true;
  }

  // ---- idempotency --------------------------------------------------------------------

  // Renders every key, dead-letters records whose key cannot be rendered, acknowledges
  // duplicates (of earlier deliveries or earlier in this batch), and returns what is left.
  awaitable<std::optional<std::vector<std::size_t>>> dedupe(Work& w, std::string& stop_reason) {
    std::vector<std::size_t> pending;
    if (!key_template) {
      pending.resize(w.records.size());
      for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
      co_return std::move(pending);
    }
    w.keys.resize(w.records.size());
    std::vector<Failed> unkeyed;
    std::vector<std::size_t> keyed;
    for (std::size_t i = 0; i < w.records.size(); ++i) {
      auto key = key_template->render(w.records[i]);
      if (key.ok()) {
        w.keys[i] = std::move(*key);
        keyed.push_back(i);
      } else {
        Error error = key.error();
        error.with_context("idempotency key");
        unkeyed.push_back(Failed{i, std::move(error), "idempotency"});
      }
    }
    bool kept = co_await dead_letter(w, unkeyed, stop_reason);
    if (!kept) co_return std::nullopt;

    std::vector<std::string> keys;
    keys.reserve(keyed.size());
    for (std::size_t i : keyed) keys.push_back(w.keys[i]);
    Backoff backoff = retry.make_backoff();
    std::vector<bool> found;
    for (;;) {
      auto looked_up = env.state.find_keys(pipeline(), keys, Clock::now());
      if (looked_up.ok()) {
        found = std::move(*looked_up);
        break;
      }
      if (!looked_up.error().retryable()) {
        stop_reason = "idempotency store: " + looked_up.error().message();
        co_return std::nullopt;
      }
      bool go_on = co_await store_retry_wait(backoff, looked_up.error(), "idempotency store");
      if (!go_on) co_return std::nullopt;
    }
    std::vector<std::size_t> duplicate;
    std::unordered_set<std::string_view> in_batch;
    for (std::size_t k = 0; k < keyed.size(); ++k) {
      const std::size_t i = keyed[k];
      // Delivered earlier: remembered in the store, delivered since the last flush, or earlier
      // in this very batch.
      if (found[k] || unflushed_keys.count(w.keys[i]) != 0 || !in_batch.insert(w.keys[i]).second) {
        duplicate.push_back(i);
      } else {
        pending.push_back(i);
      }
    }
    settle_duplicates(w, duplicate);
    co_return std::move(pending);
  }

  // ---- the delivery loop --------------------------------------------------------------

  // Waits for the rate limiter's tokens for `count` records.
  awaitable<bool> take_tokens(std::size_t count) {
    if (!limiter) co_return true;
    auto wait = limiter->reserve(count, SteadyClock::now());
    if (wait.count() <= 0) co_return true;
    bool go_on = co_await sleep(wait);
    co_return go_on;
  }

  awaitable<bool> run(Work& w, std::string& stop_reason) {
    w.attempts.assign(w.records.size(), 0);
    auto deduped = co_await dedupe(w, stop_reason);
    if (!deduped) co_return false;
    std::vector<std::size_t> pending = std::move(*deduped);
    Backoff backoff = retry.make_backoff();
    SteadyClock::time_point retry_started{};
    SteadyClock::duration paused_at_start{};
    Batch subset;

    while (!pending.empty()) {
      bool allowed = co_await breaker_allows();
      if (!allowed) co_return false;
      bool got_tokens = co_await take_tokens(pending.size());
      if (!got_tokens) co_return false;
      const bool whole_batch = pending.size() == w.records.size();
      if (!whole_batch) {
        subset.clear();
        for (std::size_t i : pending) subset.push_back(w.records[i]);
      }
      WriteResult result = co_await env.sink.write_batch(whole_batch ? w.records : subset);

      // Sort the attempt's records into delivered, permanent and retryable (original indices).
      std::vector<std::size_t> delivered;
      std::vector<Failed> permanent;
      std::vector<Failed> retryable;
      if (!result.status.ok()) {
        for (std::size_t i : pending) {
          auto& bucket = result.status.error().retryable() ? retryable : permanent;
          bucket.push_back(Failed{i, result.status.error(), "sink"});
        }
      } else {
        std::vector<const Error*> error_of(pending.size(), nullptr);
        for (const auto& f : result.failures) {
          if (f.index < error_of.size()) error_of[f.index] = &f.error;
        }
        for (std::size_t k = 0; k < pending.size(); ++k) {
          if (error_of[k] == nullptr) {
            delivered.push_back(pending[k]);
          } else {
            auto& bucket = error_of[k]->retryable() ? retryable : permanent;
            bucket.push_back(Failed{pending[k], *error_of[k], "sink"});
          }
        }
      }
      if (!permanent.empty()) env.metrics.sink_permanent_errors.Increment();
      if (!retryable.empty()) env.metrics.sink_retryable_errors.Increment();

      // The breaker counts writes that failed as a whole with a retryable error: the target is
      // unreachable or overloaded. A per-record failure is that record's problem (the target
      // answered), so it never pauses the pipeline; retries and the DLQ deal with it.
      record_breaker_outcome(!result.status.ok() && result.status.error().retryable());
      settle_delivered(w, delivered);
      for (Failed& f : permanent) w.attempts[f.index] += 1;
      bool kept = co_await dead_letter(w, permanent, stop_reason);
      if (!kept) co_return false;
      if (retryable.empty()) break;

      // A failed write is the breaker's business when there is one: an outage pauses the
      // pipeline, it does not fill the DLQ. So only per-record failures (or every failure, with
      // the breaker disabled) count against max_attempts and max_elapsed.
      const bool counted = result.status.ok() || !breaker;
      if (retry_started == SteadyClock::time_point{}) {
        retry_started = SteadyClock::now();
        paused_at_start = paused_total;
        w.first_failure = Clock::now();
      }
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          SteadyClock::now() - retry_started - (paused_total - paused_at_start));
      std::vector<Failed> exhausted;
      pending.clear();
      for (Failed& f : retryable) {
        if (counted) w.attempts[f.index] += 1;
        if (counted && retry.exhausted(w.attempts[f.index], elapsed)) {
          f.error = Error::retryable("gave up after " + std::to_string(w.attempts[f.index]) +
                                     " attempt(s) over " + std::to_string(elapsed.count() / 1000) +
                                     "s: " + f.error.message());
          exhausted.push_back(std::move(f));
        } else {
          pending.push_back(f.index);
        }
      }
      kept = co_await dead_letter(w, exhausted, stop_reason);
      if (!kept) co_return false;
      if (pending.empty()) break;

      const Error& last = retryable.back().error;
      auto delay = backoff.next(last.retry_after());
      std::string what = describe_failure(w, retryable.front());
      env.note_problem(what);
      env.log.warn("{}; retrying {} record(s) in {} ms", what, pending.size(), delay.count());
      bool go_on = co_await sleep(delay);
      if (!go_on) co_return false;
    }
    env.note_problem("");
    co_return true;
  }
};

Delivery::Delivery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Delivery::~Delivery() = default;

Result<std::unique_ptr<Delivery>> Delivery::create(DeliveryEnvironment env) {
  auto options = DeliveryOptions::from(env.config.runtime, env.shared_limits);
  if (!options.ok()) return options.error();
  auto impl = std::make_unique<Impl>(std::move(env));
  impl->retry = options->retry;
  if (options->breaker) impl->breaker.emplace(*options->breaker);
  impl->key_template = std::move(options->idempotency_key);
  impl->key_ttl = options->key_ttl;
  impl->max_keys = options->max_keys;
  impl->dlq_enabled = options->dlq_enabled;
  if (options->dlq_file) impl->dlq_file = std::make_unique<DeadLetterFile>(*options->dlq_file);
  impl->dlq_guard = DeadLetterRateGuard(options->max_dlq_rate, options->dlq_rate_window);
  impl->limiter = std::move(options->limiter);
  impl->env.metrics.breaker_state.Set(0);
  impl->env.metrics.source_paused.Set(0);
  auto delivery = std::unique_ptr<Delivery>(new Delivery(std::move(impl)));
  delivery->maintain();  // the DLQ depth is known from the start
  return delivery;
}

awaitable<bool> Delivery::deliver(Sequence first, const Batch& records, std::string& stop_reason) {
  Work work{records, first};
  bool ok = co_await impl_->run(work, stop_reason);
  co_return ok;
}

awaitable<void> Delivery::replay_marked(std::string& stop_reason) {
  if (!impl_->state_dlq()) co_return;
  DeadLetterFilter filter;
  filter.pipeline = impl_->pipeline();
  filter.replay_requested_only = true;
  filter.limit =
      static_cast<std::size_t>(impl_->env.config.runtime.object("batch").integer("max_records"));
  auto marked = impl_->env.state.list_dead_letters(filter);
  if (!marked.ok()) {
    impl_->env.log.warn("dead letters to replay not read: {}", marked.error().message());
    co_return;
  }
  if (marked->empty()) co_return;
  Batch records;
  records.reserve(marked->size());
  for (const DeadLetter& letter : *marked) records.push_back(letter.record);
  Work work{records, 0, &*marked};
  const auto replayed_before = impl_->replayed.load();
  impl_->env.log.info("replaying {} dead letter(s)", records.size());
  bool ok = co_await impl_->run(work, stop_reason);
  if (ok) {
    impl_->env.log.info("replay: {} of {} dead letter(s) delivered",
                        impl_->replayed.load() - replayed_before, records.size());
  }
  // Entries leave the queue only once the sink has made their records durable.
  Status flushed = co_await impl_->env.sink.flush();
  if (flushed.ok()) {
    sink_flushed();
  } else {
    impl_->env.log.warn("sink flush after replay failed (the entries stay queued): {}",
                        flushed.error().message());
  }
  impl_->last_depth_count = {};  // recount now: entries left the queue
  maintain();
}

void Delivery::sink_flushed() {
  Impl& d = *impl_;
  d.remember_flushed_keys();
  if (d.settled_replays.empty()) return;
  Status s = d.env.state.remove_dead_letters(d.settled_replays);
  if (!s.ok()) {
    d.env.log.error("replayed dead letters not removed (they will be replayed again): {}",
                    s.error().message());
  }
  d.settled_replays.clear();
}

void Delivery::maintain() {
  Impl& d = *impl_;
  const auto now = SteadyClock::now();
  // The pipeline keeps the depth current as it dead-letters; the recount catches what `weft dlq`
  // changed (purges, replays), without counting a large queue at every checkpoint.
  if (d.state_dlq() && now - d.last_depth_count >= kDepthRecountInterval) {
    d.last_depth_count = now;
    auto depth = d.env.state.count_dead_letters(d.pipeline());
    if (depth.ok()) {
      d.dlq_depth = static_cast<std::int64_t>(*depth);
      d.env.metrics.dlq_depth.Set(static_cast<double>(*depth));
    }
  }
  if (d.key_template) {
    if (now - d.last_key_purge >= kKeyPurgeInterval) {
      d.last_key_purge = now;
      auto purged = d.env.state.purge_keys(d.pipeline(), Clock::now(), d.max_keys, kKeyPurgeBatch);
      if (!purged.ok()) {
        d.env.log.warn("idempotency key purge failed: {}", purged.error().message());
      } else if (*purged > 0) {
        d.env.log.debug("purged {} idempotency key(s)", *purged);
      }
    }
  }
}

bool Delivery::source_paused() const { return impl_->paused_by_breaker || impl_->paused_by_guard; }

DeliveryStatus Delivery::status() const {
  const Impl& d = *impl_;
  DeliveryStatus s;
  s.breaker_state = d.breaker ? static_cast<int>(d.breaker->state()) : 0;
  s.dead_lettered = d.dead_lettered;
  s.duplicates = d.duplicates;
  s.replayed = d.replayed;
  s.dlq_depth = d.dlq_depth;
  s.dlq_guard_tripped = d.paused_by_guard;
  std::lock_guard lock(d.reason_mutex);
  s.breaker = s.breaker_state == 0 ? "closed" : d.breaker_reason;
  if (s.breaker.empty()) s.breaker = to_string(static_cast<BreakerState>(s.breaker_state));
  s.paused_reason = d.paused_by_guard     ? d.guard_reason
                    : d.paused_by_breaker ? d.breaker_reason
                                          : std::string();
  return s;
}

}  // namespace weft

#include "runtime/delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <ctime>
#include <utility>

#include "mapper/mapping.h"
#include "runtime/delivery_impl.h"
#include "runtime/delivery_options.h"
#include "runtime/events.h"
#include "runtime/tap.h"
#include "runtime/metrics.h"

namespace weft {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;

// How often a writer held by an open circuit breaker checks whether the pipeline is stopping.
constexpr std::chrono::milliseconds kStopCheckInterval{100};

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

awaitable<bool> Delivery::Impl::sleep(std::chrono::nanoseconds delay) {
  if (env.aborting) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !env.aborting;
}

awaitable<bool> Delivery::Impl::store_retry_wait(Backoff& backoff, const Error& error,
                                                 const char* what) {
  auto delay = backoff.next(error.retry_after());
  env.log.warn("{} failed: {} (retrying in {} ms)", what, error.message(), delay.count());
  env.note_problem(std::string(what) + ": " + error.message());
  bool go_on = co_await sleep(delay);
  co_return go_on;
}

awaitable<bool> Delivery::Impl::breaker_allows() {
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

void Delivery::Impl::record_breaker_outcome(const Error* failure) {
  if (!breaker) return;
  const auto now = SteadyClock::now();
  const BreakerState before = breaker->state();
  if (failure != nullptr) {
    breaker->record_failure(now);
  } else {
    breaker->record_success(now);
  }
  const BreakerState after = breaker->state();
  env.metrics.breaker_state.Set(static_cast<double>(after));
  if (after == before) return;
  if (after == BreakerState::kClosed) {
    event::log(env.log, spdlog::level::info, event::kBreakerClosed,
               "circuit breaker closed: " + sink_name() + " is delivering again; source resumed");
    {
      std::lock_guard lock(reason_mutex);
      breaker_reason.clear();
    }
    paused_by_breaker = false;
    update_paused_gauge();
    env.resume_source();
  } else if (after == BreakerState::kOpen) {
    // The last failure says what is wrong (unreachable, refusing the credentials, ...), which
    // /api and /readyz show for as long as the breaker stays open.
    std::string why = "circuit breaker open for " + sink_name() + " since " +
                      utc_text(Clock::now()) + ": " + breaker->describe(now) +
                      "; source paused; the last failure: " +
                      (failure != nullptr ? failure->message() : "none");
    if (before == BreakerState::kClosed) {
      event::log(env.log, spdlog::level::warn, event::kBreakerOpened,
                 why + "; one probe write after the cool-down");
    } else {  // the probe failed: still the same outage
      env.log.info("{}; another probe write after the cool-down", why);
    }
    {
      std::lock_guard lock(reason_mutex);
      breaker_reason = std::move(why);
    }
    paused_by_breaker = true;
    update_paused_gauge();
  }
}

void Delivery::Impl::update_paused_gauge() {
  env.metrics.source_paused.Set(paused_by_breaker || paused_by_guard ? 1 : 0);
}

void Delivery::Impl::record_outcomes(std::size_t count, bool dead) {
  if (!dlq_guard.record(count, dead)) return;
  std::string why = "dead-letter rate " + percent(dlq_guard.rate()) + " of the last " +
                    std::to_string(dlq_guard.window()) + " records is above dlq.max_dlq_rate " +
                    percent(dlq_guard.max_rate()) +
                    ": source paused (fix the cause, then send weft SIGHUP to restart the "
                    "pipeline, and `weft dlq replay` what was dead-lettered)";
  event::log(env.log, spdlog::level::err, event::kDlqGuardTripped, why);
  {
    std::lock_guard lock(reason_mutex);
    guard_reason = std::move(why);
  }
  paused_by_guard = true;
  update_paused_gauge();
}

awaitable<std::optional<std::vector<std::size_t>>> Delivery::Impl::dedupe(
    Work& w, std::string& stop_reason) {
  std::vector<std::size_t> pending;
  if (!key_template) co_return std::move(w.candidates);
  w.keys.resize(w.size());
  std::vector<Failed> unkeyed;
  std::vector<std::size_t> keyed;
  for (std::size_t i : w.candidates) {
    auto key = key_template->render(w.records()[i]);
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

awaitable<bool> Delivery::Impl::take_tokens(std::size_t count) {
  if (!limiter) co_return true;
  auto wait = limiter->reserve(count, SteadyClock::now());
  if (wait.count() <= 0) co_return true;
  bool go_on = co_await sleep(wait);
  co_return go_on;
}

awaitable<bool> Delivery::Impl::map_stage(Work& w, std::string& stop_reason) {
  w.candidates.clear();
  // What the source rejected (a row it could not parse) goes straight to the DLQ.
  std::vector<Failed> rejected;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!w.source[i].rejected.empty()) {
      rejected.push_back(Failed{i, Error::permanent(w.source[i].rejected), "source"});
    }
  }
  if (!co_await dead_letter(w, rejected, stop_reason)) co_return false;
  const auto accepted = [&w](std::size_t i) { return w.source[i].rejected.empty(); };
  if (env.mapper == nullptr) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (accepted(i)) w.candidates.push_back(i);
    }
    co_return true;
  }
  w.mapped.resize(w.size());
  Backoff prepare_backoff = retry.make_backoff();
  for (Status prepared = env.mapper->prepare(w.source); !prepared;
       prepared = env.mapper->prepare(w.source)) {
    bool go_on = co_await store_retry_wait(prepare_backoff, prepared.error(), "crosswalk store");
    if (!go_on) co_return false;
  }
  std::vector<std::size_t> dropped;
  std::vector<Failed> failed;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!accepted(i)) continue;
    MapResult result = env.mapper->apply(w.source[i]);
    // Only the crosswalk store can fail retryably (it is busy): wait, then map again. The
    // backoff (which seeds from the OS) is made only then, not for every record.
    std::optional<Backoff> backoff;
    while (result.verdict == MapVerdict::kFailed && result.error->retryable()) {
      if (!backoff) backoff = retry.make_backoff();
      bool go_on = co_await store_retry_wait(*backoff, *result.error, "crosswalk store");
      if (!go_on) co_return false;
      result = env.mapper->apply(w.source[i]);
    }
    switch (result.verdict) {
      case MapVerdict::kMapped:
        w.mapped[i] = std::move(result.record);
        w.candidates.push_back(i);
        break;
      case MapVerdict::kFiltered:
        dropped.push_back(i);
        break;
      case MapVerdict::kFailed:
        failed.push_back(Failed{i, std::move(*result.error), "map"});
        break;
    }
  }
  settle_filtered(w, dropped);
  // Schema drift: the metric grows by what this run's mapper counted since the last batch (the
  // series outlive a reload; the mapper's tally starts again with the new pipeline).
  for (const auto& [field, count] : env.mapper->unknown_fields()) {
    std::uint64_t& reported = reported_drift[field];
    if (count > reported) {
      env.metrics.add_unknown_fields(field, static_cast<double>(count - reported));
      reported = count;
    }
  }
  bool kept = co_await dead_letter(w, failed, stop_reason);
  w.use_mapped = true;
  co_return kept;
}

awaitable<bool> Delivery::Impl::run(Work& w, std::string& stop_reason) {
  // Joins the line before anything can suspend: deliveries start in their batches' order.
  std::optional<WriteTurns::Ticket> turn;
  if (env.sink.prepares_batches()) turn.emplace(turns.join(w.first));
  w.attempts.assign(w.size(), 0);
  bool mapped = co_await map_stage(w, stop_reason);
  if (mapped && env.tap != nullptr && env.tap->tapping(TapStage::kMapped)) {
    env.tap->publish(TapStage::kMapped, w.records(), &w.candidates);
  }
  if (!mapped) co_return false;
  auto deduped = co_await dedupe(w, stop_reason);
  if (!deduped) co_return false;
  std::vector<std::size_t> pending = std::move(*deduped);
  Backoff backoff = retry.make_backoff();
  SteadyClock::time_point retry_started{};
  SteadyClock::duration paused_at_start{};
  Batch subset;
  const auto take_subset = [&] {
    subset.clear();
    for (std::size_t i : pending) subset.push_back(w.records()[i]);
  };
  if (turn && !pending.empty()) {
    // The sink prepares this batch while the one before it may still be writing, then waits
    // for its turn to write (see WriteTurns).
    const bool whole_batch = pending.size() == w.size();
    if (!whole_batch) take_subset();
    co_await env.sink.prepare(whole_batch ? w.records() : subset);
    bool my_turn = co_await turns.wait(*turn, env.aborting);
    if (!my_turn) co_return false;
  }

  while (!pending.empty()) {
    bool allowed = co_await breaker_allows();
    if (!allowed) co_return false;
    bool got_tokens = co_await take_tokens(pending.size());
    if (!got_tokens) co_return false;
    const bool whole_batch = pending.size() == w.size();
    if (!whole_batch) take_subset();
    WriteResult result = co_await env.sink.write_batch(whole_batch ? w.records() : subset);

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
    const bool outage = !result.status.ok() && result.status.error().retryable();
    record_breaker_outcome(outage ? &result.status.error() : nullptr);
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
  Impl::Work work{records, first};
  bool ok = co_await impl_->run(work, stop_reason);
  co_return ok;
}

bool Delivery::source_paused() const { return impl_->paused_by_breaker || impl_->paused_by_guard; }

DeliveryStatus Delivery::status() const {
  const Impl& d = *impl_;
  DeliveryStatus s;
  s.breaker_state = d.breaker ? static_cast<int>(d.breaker->state()) : 0;
  s.dead_lettered = d.dead_lettered;
  s.duplicates = d.duplicates;
  s.filtered = d.filtered;
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

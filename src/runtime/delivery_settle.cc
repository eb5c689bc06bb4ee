// What happens to each record once the sink answered: acknowledgements, dead letters,
// idempotency keys, replays; and the stage's periodic bookkeeping.
#include <spdlog/spdlog.h>

#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <utility>

#include "runtime/delivery_impl.h"
#include "runtime/metrics.h"
#include "runtime/tap.h"

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

}  // namespace

void Delivery::Impl::hold_keys(const Work& w, const std::vector<std::size_t>& indices) {
  if (w.keys.empty()) return;
  for (std::size_t i : indices) unflushed_keys.insert(w.keys[i]);
}

void Delivery::Impl::remember_flushed_keys() {
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

void Delivery::Impl::hold_replayed(const Work& w, const std::vector<std::size_t>& indices) {
  for (std::size_t i : indices) settled_replays.push_back((*w.replays)[i].id);
}

void Delivery::Impl::settle_delivered(const Work& w, const std::vector<std::size_t>& indices) {
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
  Clock::time_point newest{};
  for (std::size_t i : indices) newest = std::max(newest, w.records()[i].event_time);
  env.delivered(indices.size(), newest);
  if (env.tap != nullptr && env.tap->tapping(TapStage::kSink)) {
    env.tap->publish(TapStage::kSink, w.records(), &indices);
  }
}

void Delivery::Impl::settle_duplicates(const Work& w, const std::vector<std::size_t>& indices) {
  if (indices.empty()) return;
  duplicates += indices.size();
  env.metrics.duplicates.Increment(static_cast<double>(indices.size()));
  if (w.replay()) {
    hold_replayed(w, indices);
  } else {
    acknowledge(w, indices);
  }
}

void Delivery::Impl::settle_filtered(const Work& w, const std::vector<std::size_t>& indices) {
  if (indices.empty()) return;
  filtered += indices.size();
  env.metrics.filtered.Increment(static_cast<double>(indices.size()));
  if (w.replay()) {
    hold_replayed(w, indices);
  } else {
    acknowledge(w, indices);
  }
}

void Delivery::Impl::acknowledge(const Work& w, const std::vector<std::size_t>& indices) {
  std::size_t run_start = 0;
  for (std::size_t k = 1; k <= indices.size(); ++k) {
    if (k < indices.size() && indices[k] == indices[k - 1] + 1) continue;
    env.tracker.ack_range(w.first + indices[run_start], k - run_start);
    run_start = k;
  }
}

std::string Delivery::Impl::describe_failure(const Work& w, const Failed& f) const {
  std::string stage = f.stage == std::string("sink") ? sink_name() : f.stage;
  return stage + ": " + f.error.message() + " (record at position " + w.source[f.index].position +
         ")";
}

DeadLetter Delivery::Impl::letter_for(const Work& w, const Failed& f, Clock::time_point now) const {
  DeadLetter letter;
  letter.pipeline = pipeline();
  letter.stage = f.stage;
  letter.error_kind = f.error.retryable() ? "retryable" : "permanent";
  letter.error = f.error.message();
  letter.attempts = std::max(1, w.attempts[f.index]);
  letter.first_failure = w.first_failure == Clock::time_point{} ? now : w.first_failure;
  letter.last_failure = now;
  letter.record = w.source[f.index];  // as read: a replay maps it again
  return letter;
}

awaitable<bool> Delivery::Impl::dead_letter(Work& w, const std::vector<Failed>& failed,
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
      Status s =
          env.state.record_replay_failure(entry.id, f.error.retryable() ? "retryable" : "permanent",
                                          f.error.message(), std::max(1, w.attempts[f.index]), now);
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
    } else if (f.stage == std::string("map")) {
      env.metrics.dead_lettered_map.Increment();
    } else if (f.stage == std::string("source")) {
      env.metrics.dead_lettered_source.Increment();
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
  Impl::Work work{records, 0, &*marked};
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

}  // namespace weft

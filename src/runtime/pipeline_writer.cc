// One pipeline's writer: batches from the channel, gathered when the pipeline asks for larger
// loads, through the delivery stage into the sink; the checkpoints between them.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <utility>

#include "runtime/pipeline_impl.h"

namespace weft {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(use_awaitable);
// The most records a gathered batch reserves room for up front (larger ones grow as usual).
constexpr std::size_t kMaxGatherReserve = 1 << 20;
// How often a batch being gathered (batch.max_wait) looks for more records.
constexpr std::chrono::milliseconds kGatherNap{5};

}  // namespace

awaitable<void> Pipeline::Impl::tick_loop() {
  const auto interval = config.runtime.object("checkpoint").duration("interval");
  auto self = shared_from_this();
  while (!stopping && !aborting) {
    tick_timer.expires_after(interval);
    auto [ec] = co_await tick_timer.async_wait(kNoThrow);
    if (ec) break;
    controls.observe(tracker.in_flight(), backlog());
    controls.rates(records_in, records_out);  // a sample, so /api has rates from the start
    Envelope tick;
    tick.tick = true;
    channel.try_send(boost::system::error_code{}, std::move(tick));  // full: writer is busy
  }
}

awaitable<void> Pipeline::Impl::write_loop() {
  const auto interval = config.runtime.object("checkpoint").duration("interval");
  auto next_commit = std::chrono::steady_clock::now() + interval;
  // Batches go to the sink one at a time, or as several writes in flight when it takes them,
  // or one writing while the next is prepared (delivery then keeps the writes in order).
  WriteWindow window(writer_strand,
                     sink->prepares_batches() ? 2 : sink->max_concurrent_writes());
  std::optional<Envelope> carried;  // what a gathered batch left over, written next
  while (!aborting) {
    Envelope env;
    if (carried) {
      env = std::move(*carried);
      carried.reset();
    } else {
      auto [ec, received] = co_await channel.async_receive(kNoThrow);
      if (ec) break;
      env = std::move(received);
    }
    bool end = !env.tick && env.records.empty();  // end of the source
    if (!env.tick && !end) end = co_await gather(env, carried);
    if (!env.records.empty()) {
      // A statement of its own: GCC 12 miscompiles co_await inside `&&` (pipeline_impl.h).
      const bool accepted = co_await window.submit(write(std::move(env)));
      if (!accepted) break;
    }
    if (end) break;
    if (std::chrono::steady_clock::now() >= next_commit) {
      co_await commit_checkpoint();
      next_commit = std::chrono::steady_clock::now() + interval;
      if (!co_await housekeeping()) break;
    }
  }
  co_await window.drain();
  if (window.failure() && !window.failure()->empty()) fail(*window.failure());
}

awaitable<bool> Pipeline::Impl::gather(Envelope& env, std::optional<Envelope>& carried) {
  const auto limits = config.runtime.object("batch");
  const auto max_wait = limits.duration("max_wait");
  if (max_wait.count() <= 0) co_return false;
  const auto max_records = static_cast<std::size_t>(limits.integer("max_records"));
  const std::uint64_t max_bytes =
      limits.has("max_bytes") ? limits.size("max_bytes") : UINT64_MAX;
  std::uint64_t bytes = 0;
  for (const Record& r : env.records) bytes += r.value.text().size();
  // Room for the whole batch at once: growing by doubling moved every record again and
  // again, into fresh pages. (Reserved pages cost nothing until records fill them.)
  env.records.reserve(std::min<std::size_t>(max_records, kMaxGatherReserve));
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  asio::steady_timer nap(writer_strand);
  while (env.records.size() < max_records && bytes < max_bytes && !stopping && !aborting) {
    std::optional<Envelope> next;
    bool closed = false;
    channel.try_receive([&](boost::system::error_code ec, Envelope e) {
      if (ec) {
        closed = true;
      } else {
        next = std::move(e);
      }
    });
    if (closed) co_return true;
    if (!next) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) break;
      nap.expires_after(std::min<std::chrono::steady_clock::duration>(left, kGatherNap));
      co_await nap.async_wait(kNoThrow);
      continue;
    }
    if (next->tick) continue;  // the commit check after the write covers it
    if (next->records.empty()) co_return true;
    std::size_t take = 0;
    while (take < next->records.size() && env.records.size() < max_records &&
           bytes < max_bytes) {
      bytes += next->records[take].value.text().size();
      env.records.push_back(std::move(next->records[take++]));
    }
    if (take < next->records.size()) {
      Envelope rest;
      rest.first = next->first + take;
      const auto split = next->records.begin() + static_cast<std::ptrdiff_t>(take);
      rest.records.assign(std::make_move_iterator(split),
                          std::make_move_iterator(next->records.end()));
      carried = std::move(rest);
    }
  }
  co_return false;
}

awaitable<WriteOutcome> Pipeline::Impl::write(Envelope env) {
  std::string failure;
  const bool delivered = co_await delivery->deliver(env.first, env.records, failure);
  metrics->in_flight.Set(static_cast<double>(tracker.in_flight()));
  if (delivered) co_return std::nullopt;
  co_return failure;
}

void Pipeline::Impl::count_delivered(std::size_t count, Clock::time_point newest_event_time) {
  records_out += count;
  metrics->records_out.Increment(static_cast<double>(count));
  auto now = Clock::now();
  controls.delivered(newest_event_time);
  metrics->last_success.Set(unix_seconds(now));
  std::lock_guard lock(status_mutex);
  last_success = now;
}

awaitable<bool> Pipeline::Impl::housekeeping() {
  if (stopping) co_return true;
  std::string failure;
  co_await delivery->replay_marked(failure);
  if (!failure.empty()) {
    fail(failure);
    co_return false;
  }
  delivery->maintain();
  co_return true;
}

awaitable<void> Pipeline::Impl::commit_checkpoint() {
  std::optional<Position> pos = tracker.take_committable();
  if (!pos) pos = std::exchange(flushed_not_saved, std::nullopt);
  if (!pos) co_return;
  Status flushed = co_await sink->flush();
  if (!flushed.ok()) {
    log->warn("sink flush failed, checkpoint postponed: {}", flushed.error().message());
    set_checkpoint_problem("checkpoint postponed: sink " + config.sink.type +
                           " flush failed: " + flushed.error().message());
    flushed_not_saved = pos;
    co_return;
  }
  delivery->sink_flushed();
  Status told = co_await sink->commit(*pos);
  if (!told.ok()) {
    log->warn("sink did not store the checkpoint, postponed: {}", told.error().message());
    set_checkpoint_problem("checkpoint postponed: sink " + config.sink.type +
                           " did not store it: " + told.error().message());
    flushed_not_saved = pos;
    co_return;
  }
  Status saved = state.save_checkpoint(config.name, *pos);
  if (!saved.ok()) {
    log->error("checkpoint not saved: {}", saved.error().message());
    set_checkpoint_problem("checkpoint not saved: " + saved.error().message());
    flushed_not_saved = pos;
    co_return;
  }
  auto now = Clock::now();
  metrics->last_checkpoint.Set(unix_seconds(now));
  {
    std::lock_guard lock(status_mutex);
    checkpoint = pos;
    checkpoint_time = now;
    checkpoint_problem.clear();
  }
  {
    std::lock_guard lock(commit_mutex);
    source_commit_pending = std::move(pos);
  }
  // A paused reader waits for a wake-up; this one makes it pass the commit on.
  if (held()) source_resumed.try_send(boost::system::error_code{});
}

}  // namespace weft

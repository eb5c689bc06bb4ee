#include "runtime/pipeline.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <spdlog/spdlog.h>
#include <utility>

#include "common/exception_text.h"
#include "mapper/mapping.h"
#include "runtime/ack_tracker.h"
#include "runtime/backoff.h"
#include "runtime/connector_context.h"
#include "runtime/delivery.h"
#include "runtime/events.h"
#include "runtime/metrics.h"
#include "runtime/pipeline_controls.h"
#include "runtime/write_window.h"
#include "state/state_store.h"

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

// What travels between reader and writer. An envelope with no records and `tick` unset marks the
// end of the source; a tick asks the writer to commit when it is otherwise idle.
struct Envelope {
  Sequence first = 0;
  Batch records;
  bool tick = false;
};

using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, Envelope)>;
// A one-shot wake-up between strands (reader done, source may resume).
using Signal = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
using Strand = asio::strand<asio::io_context::executor_type>;

}  // namespace

struct Pipeline::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, PipelineConfig config, StateStore& state,
       std::shared_ptr<PipelineMetrics> metrics, std::shared_ptr<spdlog::logger> logger,
       SharedServices shared)
      : io(io),
        config(std::move(config)),
        state(state),
        metrics(std::move(metrics)),
        log(std::move(logger)),
        shared(shared),
        reader_strand(asio::make_strand(io)),
        writer_strand(asio::make_strand(io)),
        channel(io,
                static_cast<std::size_t>(this->config.runtime.object("buffer").integer("batches"))),
        reader_done(io, 1),
        source_resumed(io, 1),
        tick_timer(writer_strand),
        controls(this->config, *this->metrics, *this->log) {}

  asio::io_context& io;
  const PipelineConfig config;
  StateStore& state;
  std::shared_ptr<PipelineMetrics> metrics;
  std::shared_ptr<spdlog::logger> log;
  const SharedServices shared;

  std::unique_ptr<Mapper> mapper;  // set before the writer starts; null without a mapping
  std::unique_ptr<Source> source;
  std::unique_ptr<Sink> sink;
  std::unique_ptr<Delivery> delivery;  // wraps `sink`; used on the writer strand
  Strand reader_strand;
  Strand writer_strand;
  Channel channel;
  Signal reader_done;
  Signal source_resumed;  // the delivery stage lifted a pause
  asio::steady_timer tick_timer;
  AckTracker tracker;

  PipelineControls controls;  // the operator's pause, freshness, throughput, taps

  std::atomic<bool> connected{false};  // source and sink exist and may be asked for health()
  std::atomic<bool> reader_parked{false};  // the reader waits in a pause, reading nothing
  std::atomic<bool> stopping{false};
  std::atomic<bool> aborting{false};
  asio::cancellation_signal reader_cancel;  // emitted on reader_strand only
  asio::cancellation_signal writer_cancel;  // emitted on writer_strand only

  // Saved in the state store, not yet passed to Source::commit (which runs on the reader).
  std::mutex commit_mutex;
  std::optional<Position> source_commit_pending;
  // Writer strand only: taken from the tracker, but the flush or save failed; retried next time.
  std::optional<Position> flushed_not_saved;

  mutable std::mutex status_mutex;
  PipelineState status = PipelineState::kStarting;
  std::string error;
  std::string checkpoint_problem;  // why the last checkpoint attempt failed; empty when it did not
  std::optional<Position> checkpoint;
  Clock::time_point checkpoint_time{};
  Clock::time_point last_success{};
  std::atomic<std::uint64_t> records_in{0};
  std::atomic<std::uint64_t> records_out{0};
  bool ended = false;
  bool reader_spawned = false;  // writer strand only
  std::function<void()> on_stopped;

  void set_state(PipelineState s, std::string why = {}) {
    std::lock_guard lock(status_mutex);
    if (status == PipelineState::kFailed) return;  // the first failure is the one to report
    status = s;
    error = std::move(why);
    metrics->up.Set(s == PipelineState::kRunning ? 1 : 0);
  }

  void fail(const std::string& why) {
    event::log(*log, spdlog::level::err, event::kPipelineFailed, "pipeline failed: " + why);
    set_state(PipelineState::kFailed, why);
    stopping = true;
  }

  PipelineState snapshot_state() const {
    std::lock_guard lock(status_mutex);
    return status;
  }

  void set_checkpoint_problem(std::string why) {
    std::lock_guard lock(status_mutex);
    checkpoint_problem = std::move(why);
  }

  void note_problem(const std::string& why) {
    std::lock_guard lock(status_mutex);
    error = why;
  }

  ConnectorContext context(const std::string& type) {
    return make_connector_context(config.name, type, *log, metrics->registry(), shared, &state);
  }

  // ---- start-up -------------------------------------------------------------------------

  awaitable<bool> build_connectors() {
    auto built_source =
        config.source.info->make_source(config.source.settings, context(config.source.type));
    if (!built_source.ok()) {
      fail("source " + config.source.type + ": " + built_source.error().message());
      co_return false;
    }
    source = std::move(*built_source);
    auto built_sink = config.sink.info->make_sink(config.sink.settings, context(config.sink.type));
    if (!built_sink.ok()) {
      fail("sink " + config.sink.type + ": " + built_sink.error().message());
      co_return false;
    }
    sink = std::move(*built_sink);
    if (config.mapping) mapper = std::make_unique<Mapper>(config.mapping, shared.crosswalk);
    auto built_delivery = Delivery::create(DeliveryEnvironment{
        .config = config,
        .sink = *sink,
        .state = state,
        .metrics = *metrics,
        .log = *log,
        .tracker = tracker,
        .stopping = stopping,
        .aborting = aborting,
        .shared_limits = shared.rate_limits,
        .mapper = mapper.get(),
        .note_problem = [this](const std::string& why) { note_problem(why); },
        .delivered = [this](std::size_t count, Clock::time_point newest_event_time) {
          count_delivered(count, newest_event_time);
        },
        .tap = &controls.taps(),
        .resume_source = [this] { source_resumed.try_send(boost::system::error_code{}); },
    });
    if (!built_delivery.ok()) {
      fail(built_delivery.error().message());
      co_return false;
    }
    delivery = std::move(*built_delivery);
    co_return true;
  }

  // Retries connect() through retryable errors (a target down at start-up is no reason to give
  // up) until stopped. GCC 12 miscompiles co_await inside `?:`, `&&` and lambda captures (double
  // frees), so coroutines here keep every co_await in a statement of its own.
  awaitable<bool> connect_with_retry(ConnectorKind kind, std::optional<Position> start_at) {
    const bool is_source = kind == ConnectorKind::kSource;
    const std::string what =
        is_source ? "source " + config.source.type : "sink " + config.sink.type;
    Backoff backoff{BackoffOptions{}};  // 100 ms to 30 s
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!stopping) {
      Status s;
      if (is_source) {
        s = co_await source->connect(start_at);
      } else {
        s = co_await sink->connect();
      }
      if (s.ok()) co_return true;
      if (!s.error().retryable()) {
        fail(what + ": " + s.error().message());
        co_return false;
      }
      auto delay = backoff.next(s.error().retry_after());
      note_problem(what + ": " + s.error().message());
      log->warn("{}: {} (retrying in {} ms)", what, s.error().message(), delay.count());
      timer.expires_after(delay);
      co_await timer.async_wait(kNoThrow);
    }
    co_return false;
  }

  awaitable<void> run() {
    co_await asio::this_coro::throw_if_cancelled(false);
    if (!co_await build_connectors()) co_return spawn_finish();

    auto loaded = state.load_checkpoint(config.name);
    if (!loaded.ok()) {
      fail(loaded.error().message());
      co_return spawn_finish();
    }
    std::optional<Position> start_at;
    if (*loaded) {
      start_at = (*loaded)->position;
      std::lock_guard lock(status_mutex);
      checkpoint = start_at;
      checkpoint_time = (*loaded)->updated_at;
    }

    auto paused = state.paused_since(config.name);
    if (!paused.ok()) {
      fail(paused.error().message());
      co_return spawn_finish();
    }
    if (*paused) controls.set_paused(true, **paused);

    // A sink that keeps the position in its target connects first: the source starts from it.
    const bool sink_first = sink->keeps_position();
    bool sink_up = false;
    if (sink_first) {
      sink_up = co_await connect_with_retry(ConnectorKind::kSink, std::nullopt);
      if (!sink_up) co_return spawn_finish();
      if (!co_await adopt_sink_position(start_at)) co_return spawn_finish();
    }
    auto connect_source = connect_with_retry(ConnectorKind::kSource, start_at);
    bool source_up =
        co_await asio::co_spawn(reader_strand, std::move(connect_source), use_awaitable);
    if (source_up && !sink_first) {
      sink_up = co_await connect_with_retry(ConnectorKind::kSink, std::nullopt);
    }
    if (!source_up || !sink_up) co_return spawn_finish();

    connected = true;
    set_state(PipelineState::kRunning);
    event::log(*log, spdlog::level::info, event::kPipelineStarted,
               "pipeline running: " + config.source.type + " -> " + config.sink.type +
                   (start_at ? " (resuming after " + *start_at + ")" : "") +
                   (controls.paused() ? "; paused by an operator: weft resume " + config.name +
                                          " starts reading"
                                    : ""));

    auto self = shared_from_this();
    reader_spawned = true;
    asio::co_spawn(reader_strand, read_loop(),
                   asio::bind_cancellation_slot(reader_cancel.slot(), [self](std::exception_ptr e) {
                     self->on_reader_exit(e);
                   }));
    asio::co_spawn(writer_strand, tick_loop(), asio::detached);
    co_await write_loop();
    spawn_finish();
  }

  // The sink's stored position replaces the state store's: it is never behind it, since the
  // sink stores each checkpoint before the runtime does (Sink::keeps_position).
  awaitable<bool> adopt_sink_position(std::optional<Position>& start_at) {
    auto stored = co_await sink->stored_position();
    if (!stored.ok()) {
      fail("sink " + config.sink.type + ": " + stored.error().message());
      co_return false;
    }
    if (!*stored || *stored == start_at) co_return true;
    log->info("resuming from the position the sink {} holds: {}", config.sink.type, **stored);
    start_at = std::move(*stored);
    co_return true;
  }

  // finish() runs outside the writer's cancellation slot (an abort cannot cut the final commit)
  // and holds the Impl: whoever waited for the end may drop the Pipeline while it still logs.
  void spawn_finish() {
    asio::co_spawn(writer_strand, [self = shared_from_this()] { return self->finish(); },
                   asio::detached);
  }

  // ---- reader ---------------------------------------------------------------------------

  awaitable<void> read_loop() {
    // Cancellation (stop/abort) must reach the source as an error code it can handle, not as
    // an exception thrown from the next co_await.
    co_await asio::this_coro::throw_if_cancelled(false);
    const auto max_records =
        static_cast<std::size_t>(config.runtime.object("batch").integer("max_records"));
    Backoff backoff{BackoffOptions{}};  // 100 ms to 30 s
    asio::steady_timer timer(reader_strand);
    while (!stopping) {
      co_await commit_source_pending();
      if (held()) {
        co_await wait_while_paused();
        continue;
      }
      // Only a read may be interrupted by stop(): it is waiting for data that may never come.
      // A send blocked by backpressure completes, so the drain delivers every record read.
      co_await asio::this_coro::reset_cancellation_state(asio::enable_terminal_cancellation());
      Result<Batch> read = co_await source->read_batch(max_records);
      co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
      if (stopping) {
        // A batch read while stopping is still handed on: dropping it would only mean reading
        // it again after restart, but delivering it is what a drain promises.
        if (read.ok() && !read->empty()) co_await send(std::move(*read));
        break;
      }
      if (!read.ok()) {
        metrics->source_errors.Increment();
        if (!read.error().retryable()) {
          fail("source " + config.source.type + ": " + read.error().message());
          break;
        }
        auto delay = backoff.next(read.error().retry_after());
        note_problem("source " + config.source.type + ": " + read.error().message());
        log->warn("source read failed: {} (retrying in {} ms)", read.error().message(),
                  delay.count());
        timer.expires_after(delay);
        co_await timer.async_wait(kNoThrow);
        continue;
      }
      backoff.reset();
      if (read->empty()) {
        if (source->finished()) break;
        continue;
      }
      if (!co_await send(std::move(*read))) break;
      if (source->finished()) break;
    }
    co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
    // End marker: the writer finishes what is queued, then commits. Fails only when the
    // writer has already gone (abort closed the channel), which is fine.
    co_await channel.async_send(boost::system::error_code{}, Envelope{}, kNoThrow);
  }

  // Paused by an operator or by delivery (breaker, dead-letter guard).
  bool held() const { return controls.paused() || delivery->source_paused(); }

  // Held until resumed or stopped; commits go on (commit_checkpoint wakes this for each).
  awaitable<void> wait_while_paused() {
    log->info("source paused: {}", controls.paused() ? std::string("by an operator")
                                                   : delivery->status().paused_reason);
    source->set_paused(true);
    reader_parked = true;
    while (held() && !stopping) {
      co_await commit_source_pending();
      co_await asio::this_coro::reset_cancellation_state(asio::enable_terminal_cancellation());
      auto [ec] = co_await source_resumed.async_receive(asio::as_tuple(use_awaitable));
      co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
      if (ec) break;  // stop() cancelled the wait
    }
    reader_parked = false;
    source->set_paused(false);
    if (!stopping) log->info("source resumed");
  }

  awaitable<bool> send(Batch batch) {
    const auto count = batch.size();
    Envelope env;
    env.first = tracker.track(batch);
    env.records = std::move(batch);
    records_in += count;
    metrics->records_in.Increment(static_cast<double>(count));
    if (controls.taps().tapping(TapStage::kSource)) {
      controls.taps().publish(TapStage::kSource, env.records);
    }
    metrics->in_flight.Set(static_cast<double>(tracker.in_flight()));
    auto [ec] = co_await channel.async_send(boost::system::error_code{}, std::move(env), kNoThrow);
    co_return !ec;
  }

  awaitable<void> commit_source_pending() {
    std::optional<Position> pos;
    {
      std::lock_guard lock(commit_mutex);
      pos.swap(source_commit_pending);
    }
    if (!pos) co_return;
    Status s = co_await source->commit(*pos);
    if (!s.ok()) {
      // The position is already in the state store, so a restart resumes after it; the source
      // only failed to tell its upstream. It gets the next position on the next commit.
      metrics->source_errors.Increment();
      log->warn("source commit of position {} failed: {}", *pos, s.error().message());
    }
  }

  void on_reader_exit(std::exception_ptr e) {
    if (e) {
      fail("source reader crashed: " + describe_exception(e));
      channel.close();  // the end marker was never sent; let the writer see the channel end
    }
    reader_done.try_send(boost::system::error_code{});
  }

  // ---- writer ---------------------------------------------------------------------------

  awaitable<void> tick_loop() {
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

  awaitable<void> write_loop() {
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
      if (!env.records.empty() && !co_await window.submit(write(std::move(env)))) break;
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

  // With `batch.max_wait` set, adds the batches that arrive within that time to `env` until it
  // holds max_records records or max_bytes of values: fewer, larger writes for targets that load
  // in bulk (a warehouse). Records past max_records go to `carried`. Waits on the channel in
  // short naps rather than cancelling a receive, which could drop the batch it was taking. True
  // when the end of the source arrived meanwhile.
  awaitable<bool> gather(Envelope& env, std::optional<Envelope>& carried) {
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

  // One batch through the delivery stage. Owns the batch: it may outlive the loop's turn.
  awaitable<WriteOutcome> write(Envelope env) {
    std::string failure;
    const bool delivered = co_await delivery->deliver(env.first, env.records, failure);
    metrics->in_flight.Set(static_cast<double>(tracker.in_flight()));
    if (delivered) co_return std::nullopt;
    co_return failure;
  }

  void count_delivered(std::size_t count, Clock::time_point newest_event_time) {
    records_out += count;
    metrics->records_out.Increment(static_cast<double>(count));
    auto now = Clock::now();
    controls.delivered(newest_event_time);
    metrics->last_success.Set(unix_seconds(now));
    std::lock_guard lock(status_mutex);
    last_success = now;
  }

  // Between batches: replays dead letters marked by `weft dlq replay`, refreshes the DLQ depth
  // and purges expired idempotency keys. False when the pipeline must stop.
  awaitable<bool> housekeeping() {
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

  // Flushes the sink, then records the watermark in the state store; the reader passes it on to
  // the source. That order is the guarantee: nothing is committed that is not durable downstream.
  awaitable<void> commit_checkpoint() {
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

  // ---- shutdown -------------------------------------------------------------------------

  // Ends the channel for both sides. close() alone only wakes a waiting receiver; cancel()
  // releases a reader blocked on a full channel (its batch stays unacknowledged: re-read later).
  // Close, then cancel: a send issued in between (the reader's end marker) must fail, not hang.
  void close_channel() { channel.close(); channel.cancel(); }

  // Any thread: the source's own measure of what waits upstream, once it is connected.
  std::optional<Backlog> backlog() const {
    if (!connected) return std::nullopt;
    return source->backlog();
  }

  // Runs once the writer is done (or start-up failed): final commit, close, report.
  awaitable<void> finish() {
    stopping = true;
    tick_timer.cancel();
    if (source) {
      asio::post(reader_strand, [self = shared_from_this()] {
        self->reader_cancel.emit(asio::cancellation_type::terminal);
      });
    }
    close_channel();
    if (reader_spawned) {
      co_await reader_done.async_receive(kNoThrow);
      co_await commit_checkpoint();
      co_await asio::co_spawn(reader_strand, commit_source_pending(), use_awaitable);
    }
    if (sink) co_await sink->close();
    if (source) co_await asio::co_spawn(reader_strand, source->close(), use_awaitable);

    bool finished_source = source && source->finished() && !aborting;
    set_state(finished_source ? PipelineState::kFinished : PipelineState::kStopped);
    controls.taps().close();
    metrics->in_flight.Set(static_cast<double>(tracker.in_flight()));
    if (snapshot_state() != PipelineState::kFailed) {
      event::log(*log, spdlog::level::info, event::kPipelineStopped,
                 "pipeline stopped (" + std::to_string(records_in.load()) + " in, " +
                     std::to_string(records_out.load()) + " out, " +
                     std::to_string(tracker.in_flight()) +
                     " not yet acknowledged will be re-read)");
    }

    std::function<void()> done;
    {
      std::lock_guard lock(status_mutex);
      ended = true;
      done = std::move(on_stopped);
    }
    if (done) done();
  }
};

Pipeline::Pipeline(asio::io_context& io, PipelineConfig config, StateStore& state,
                   std::shared_ptr<PipelineMetrics> metrics, std::shared_ptr<spdlog::logger> logger,
                   SharedServices shared)
    : impl_(std::make_shared<Impl>(io, std::move(config), state, std::move(metrics),
                                   std::move(logger), shared)) {}

Pipeline::~Pipeline() = default;

void Pipeline::start() {
  auto impl = impl_;
  asio::co_spawn(
      impl->writer_strand, impl->run(),
      asio::bind_cancellation_slot(impl->writer_cancel.slot(), [impl](std::exception_ptr e) {
        if (e) impl->fail("pipeline crashed: " + describe_exception(e));
      }));
}

void Pipeline::stop(std::function<void()> on_stopped) {
  auto impl = impl_;
  {
    std::lock_guard lock(impl->status_mutex);
    if (impl->ended) {
      asio::post(impl->io, std::move(on_stopped));
      return;
    }
    impl->on_stopped = std::move(on_stopped);
  }
  if (impl->stopping.exchange(true)) return;
  bool connecting = impl->snapshot_state() == PipelineState::kStarting;
  impl->set_state(PipelineState::kDraining);
  impl->log->info("draining");
  if (connecting) {  // interrupt connect retries; nothing is in flight yet
    asio::post(impl->writer_strand,
               [impl] { impl->writer_cancel.emit(asio::cancellation_type::terminal); });
  }
  asio::post(impl->reader_strand,
             [impl] { impl->reader_cancel.emit(asio::cancellation_type::terminal); });
  // The cancellation reaches only an operation the reader is waiting in at that moment; one it
  // starts later (the wait of a pause that began just now) would miss it. A buffered wake-up
  // does not: the paused reader sees `stopping` and leaves.
  impl->source_resumed.try_send(boost::system::error_code{});
}

void Pipeline::abort() {
  auto impl = impl_;
  {
    std::lock_guard lock(impl->status_mutex);
    if (impl->ended) return;
  }
  impl->stopping = true;
  if (impl->aborting.exchange(true)) return;
  impl->log->warn("drain deadline passed: abandoning in-flight records (they will be re-read)");
  asio::post(impl->writer_strand, [impl] {
    impl->tick_timer.cancel();
    impl->writer_cancel.emit(asio::cancellation_type::terminal);
  });
  asio::post(impl->reader_strand,
             [impl] { impl->reader_cancel.emit(asio::cancellation_type::terminal); });
  impl->close_channel();
}

PipelineSnapshot Pipeline::snapshot() const {
  PipelineSnapshot s;
  s.name = impl_->config.name;
  s.records_in = impl_->records_in;
  s.records_out = impl_->records_out;
  s.rates = impl_->controls.rates(s.records_in, s.records_out);
  s.freshness_policy = impl_->controls.freshness_policy();
  s.freshness = impl_->controls.freshness(s.in_flight, impl_->backlog());
  s.paused_since = impl_->controls.paused_since();
  s.in_flight = impl_->tracker.in_flight();
  std::lock_guard lock(impl_->status_mutex);
  s.state = impl_->status;
  s.error = impl_->error.empty() ? impl_->checkpoint_problem : impl_->error;
  if (impl_->connected) s.delivery = impl_->delivery->status();
  if (impl_->connected && s.state == PipelineState::kRunning) {
    // A pause says more than the retry that led to it.
    if (!s.delivery.paused_reason.empty()) s.error = s.delivery.paused_reason;
    for (const Health& h : {impl_->source->health(), impl_->sink->health()}) {
      if (!h.healthy && s.error.empty()) s.error = h.reason;
    }
  }
  s.checkpoint = impl_->checkpoint;
  s.checkpoint_time = impl_->checkpoint_time;
  s.last_success = impl_->last_success;
  // `paused` once the reader holds: until then it finishes the read it was in.
  if (s.paused_since && s.state == PipelineState::kRunning && impl_->reader_parked) {
    s.state = PipelineState::kPaused;
  }
  if (const auto& mapping = impl_->config.mapping) {
    s.mapped = true;
    if (mapping->model) s.model = mapping->model->ref();
    if (impl_->connected && impl_->mapper) s.unknown_fields = impl_->mapper->unknown_fields();
  }
  return s;
}

const PipelineConfig& Pipeline::config() const { return impl_->config; }

bool Pipeline::trigger() { return impl_->connected && impl_->source->trigger(); }

void Pipeline::set_paused(bool paused) {
  // A resumed reader waits in wait_while_paused(): wake it.
  if (impl_->controls.set_paused(paused) && !paused) {
    impl_->source_resumed.try_send(boost::system::error_code{});
  }
}

std::shared_ptr<TapStream> Pipeline::tap(TapStage stage, std::size_t limit) {
  return impl_->controls.taps().subscribe(stage, limit);
}

}  // namespace weft

// One pipeline's start-up, reader and shutdown, and the Pipeline handle the supervisor holds;
// the writer is in pipeline_writer.cc.
#include "runtime/pipeline.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "common/exception_text.h"
#include "runtime/backoff.h"
#include "runtime/events.h"
#include "runtime/pipeline_impl.h"

namespace weft {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(use_awaitable);

}  // namespace

void Pipeline::Impl::set_state(PipelineState s, std::string why) {
  std::lock_guard lock(status_mutex);
  if (status == PipelineState::kFailed) return;  // the first failure is the one to report
  status = s;
  error = std::move(why);
  metrics->up.Set(s == PipelineState::kRunning ? 1 : 0);
}

void Pipeline::Impl::fail(const std::string& why) {
  event::log(*log, spdlog::level::err, event::kPipelineFailed, "pipeline failed: " + why);
  set_state(PipelineState::kFailed, why);
  stopping = true;
}

PipelineState Pipeline::Impl::snapshot_state() const {
  std::lock_guard lock(status_mutex);
  return status;
}

void Pipeline::Impl::set_checkpoint_problem(std::string why) {
  std::lock_guard lock(status_mutex);
  checkpoint_problem = std::move(why);
}

void Pipeline::Impl::note_problem(const std::string& why) {
  std::lock_guard lock(status_mutex);
  error = why;
}

ConnectorContext Pipeline::Impl::context(const std::string& type) {
  ConnectorContext ctx =
      make_connector_context(config.name, type, *log, metrics->registry(), shared, &state);
  ctx.batch_max_records =
      static_cast<std::size_t>(config.runtime.object("batch").integer("max_records"));
  return ctx;
}

awaitable<bool> Pipeline::Impl::build_connectors() {
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

awaitable<bool> Pipeline::Impl::connect_with_retry(ConnectorKind kind, std::optional<Position> start_at) {
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

awaitable<void> Pipeline::Impl::run() {
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

awaitable<bool> Pipeline::Impl::adopt_sink_position(std::optional<Position>& start_at) {
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

void Pipeline::Impl::spawn_finish() {
  asio::co_spawn(writer_strand, [self = shared_from_this()] { return self->finish(); },
                 asio::detached);
}

awaitable<void> Pipeline::Impl::read_loop() {
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

awaitable<void> Pipeline::Impl::wait_while_paused() {
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

awaitable<bool> Pipeline::Impl::send(Batch batch) {
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

awaitable<void> Pipeline::Impl::commit_source_pending() {
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

void Pipeline::Impl::on_reader_exit(std::exception_ptr e) {
  if (e) {
    fail("source reader crashed: " + describe_exception(e));
    channel.close();  // the end marker was never sent; let the writer see the channel end
  }
  reader_done.try_send(boost::system::error_code{});
}

std::optional<Backlog> Pipeline::Impl::backlog() const {
  if (!connected) return std::nullopt;
  return source->backlog();
}

awaitable<void> Pipeline::Impl::finish() {
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

#pragma once

// What one pipeline's coroutines share: its connectors, strands, channel, ack tracker and
// status. pipeline.cc runs start-up, the reader and shutdown; pipeline_writer.cc the writer.
// Internal to src/runtime.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <spdlog/spdlog.h>
#include <string>

#include "mapper/mapping.h"
#include "runtime/ack_tracker.h"
#include "runtime/connector_context.h"
#include "runtime/delivery.h"
#include "runtime/metrics.h"
#include "runtime/pipeline.h"
#include "runtime/pipeline_controls.h"
#include "runtime/write_window.h"
#include "state/state_store.h"

namespace weft {

struct Pipeline::Impl : std::enable_shared_from_this<Impl> {
  // What travels between reader and writer. An envelope with no records and `tick` unset marks
  // the end of the source; a tick asks the writer to commit when it is otherwise idle.
  struct Envelope {
    Sequence first = 0;
    Batch records;
    bool tick = false;
  };
  using Channel =
      boost::asio::experimental::concurrent_channel<void(boost::system::error_code, Envelope)>;
  // A one-shot wake-up between strands (reader done, source may resume).
  using Signal = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  Impl(boost::asio::io_context& io, PipelineConfig config, StateStore& state,
       std::shared_ptr<PipelineMetrics> metrics, std::shared_ptr<spdlog::logger> logger,
       SharedServices shared)
      : io(io),
        config(std::move(config)),
        state(state),
        metrics(std::move(metrics)),
        log(std::move(logger)),
        shared(shared),
        reader_strand(boost::asio::make_strand(io)),
        writer_strand(boost::asio::make_strand(io)),
        channel(io,
                static_cast<std::size_t>(this->config.runtime.object("buffer").integer("batches"))),
        reader_done(io, 1),
        source_resumed(io, 1),
        tick_timer(writer_strand),
        controls(this->config, *this->metrics, *this->log) {}

  boost::asio::io_context& io;
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
  boost::asio::steady_timer tick_timer;
  AckTracker tracker;

  PipelineControls controls;  // the operator's pause, freshness, throughput, taps

  std::atomic<bool> connected{false};  // source and sink exist and may be asked for health()
  std::atomic<bool> reader_parked{false};  // the reader waits in a pause, reading nothing
  std::atomic<bool> stopping{false};
  std::atomic<bool> aborting{false};
  boost::asio::cancellation_signal reader_cancel;  // emitted on reader_strand only
  boost::asio::cancellation_signal writer_cancel;  // emitted on writer_strand only

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
  void set_state(PipelineState s, std::string why = {});
  void fail(const std::string& why);
  PipelineState snapshot_state() const;
  void set_checkpoint_problem(std::string why);
  void note_problem(const std::string& why);
  ConnectorContext context(const std::string& type);

  // ---- start-up -------------------------------------------------------------------------

  boost::asio::awaitable<bool> build_connectors();

  // Retries connect() through retryable errors (a target down at start-up is no reason to give
  // up) until stopped. GCC 12 miscompiles co_await inside `?:`, `&&` and lambda captures (double
  // frees), so coroutines here keep every co_await in a statement of its own.
  boost::asio::awaitable<bool> connect_with_retry(ConnectorKind kind, std::optional<Position> start_at);
  boost::asio::awaitable<void> run();

  // The sink's stored position replaces the state store's: it is never behind it, since the
  // sink stores each checkpoint before the runtime does (Sink::keeps_position).
  boost::asio::awaitable<bool> adopt_sink_position(std::optional<Position>& start_at);

  // finish() runs outside the writer's cancellation slot (an abort cannot cut the final commit)
  // and holds the Impl: whoever waited for the end may drop the Pipeline while it still logs.
  void spawn_finish();

  // ---- reader ---------------------------------------------------------------------------

  boost::asio::awaitable<void> read_loop();

  // Paused by an operator or by delivery (breaker, dead-letter guard).
  bool held() const { return controls.paused() || delivery->source_paused(); }

  // Held until resumed or stopped; commits go on (commit_checkpoint wakes this for each).
  boost::asio::awaitable<void> wait_while_paused();
  boost::asio::awaitable<bool> send(Batch batch);
  boost::asio::awaitable<void> commit_source_pending();
  void on_reader_exit(std::exception_ptr e);

  // ---- writer ---------------------------------------------------------------------------

  boost::asio::awaitable<void> tick_loop();
  boost::asio::awaitable<void> write_loop();

  // With `batch.max_wait` set, adds the batches that arrive within that time to `env` until it
  // holds max_records records or max_bytes of values: fewer, larger writes for targets that load
  // in bulk (a warehouse). Records past max_records go to `carried`. Waits on the channel in
  // short naps rather than cancelling a receive, which could drop the batch it was taking. True
  // when the end of the source arrived meanwhile.
  boost::asio::awaitable<bool> gather(Envelope& env, std::optional<Envelope>& carried);

  // One batch through the delivery stage. Owns the batch: it may outlive the loop's turn.
  boost::asio::awaitable<WriteOutcome> write(Envelope env);
  void count_delivered(std::size_t count, Clock::time_point newest_event_time);

  // Between batches: replays dead letters marked by `weft dlq replay`, refreshes the DLQ depth
  // and purges expired idempotency keys. False when the pipeline must stop.
  boost::asio::awaitable<bool> housekeeping();

  // Flushes the sink, then records the watermark in the state store; the reader passes it on to
  // the source. That order is the guarantee: nothing is committed that is not durable downstream.
  boost::asio::awaitable<void> commit_checkpoint();

  // ---- shutdown -------------------------------------------------------------------------

  // Ends the channel for both sides. close() alone only wakes a waiting receiver; cancel()
  // releases a reader blocked on a full channel (its batch stays unacknowledged: re-read later).
  // Close, then cancel: a send issued in between (the reader's end marker) must fail, not hang.
  void close_channel() { channel.close(); channel.cancel(); }

  // Any thread: the source's own measure of what waits upstream, once it is connected.
  std::optional<Backlog> backlog() const;

  // Runs once the writer is done (or start-up failed): final commit, close, report.
  boost::asio::awaitable<void> finish();
};

}  // namespace weft

#include "pgcdc/cdc_source.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "pgcdc/cdc_metrics.h"
#include "pgcdc/cdc_position.h"
#include "pgcdc/pg_connection.h"
#include "pgcdc/replication_setup.h"
#include "pgcdc/replication_stream.h"
#include "pgcdc/slot_monitor.h"
#include "pgcdc/snapshot_reader.h"

namespace weft::pgcdc {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// The longest read_batch waits for changes before returning an empty batch, so the pipeline
// can commit and notice a stop.
constexpr std::chrono::milliseconds kPollSlice{250};

enum class Phase { kSnapshot, kStreaming, kDone };

Error slot_missing(const CdcConfig& config, const std::string& where) {
  return Error::permanent(
      "postgres: replication slot " + config.slot_name + " does not exist, but this pipeline " +
      where +
      ". Changes made while it was gone cannot be recovered from it, and weft does not take a "
      "new snapshot on its own. " +
      start_over_instructions(config));
}

class CdcSource final : public Source {
 public:
  CdcSource(CdcConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)), log_(ctx.logger ? ctx.logger : spdlog::default_logger()) {
    if (ctx.metrics != nullptr) metrics_ = std::make_unique<CdcMetrics>(*ctx.metrics, ctx.pipeline);
    // Built once, never replaced: health() reads it from other threads.
    SlotMonitor::Probes probes;
    probes.streaming = [this] { return phase_ == Phase::kStreaming; };
    probes.oldest_unconfirmed_commit = [this]() -> std::optional<std::int64_t> {
      return stream_ ? stream_->oldest_unconfirmed_commit() : std::nullopt;
    };
    monitor_ = std::make_unique<SlotMonitor>(config_, metrics_.get(), log_, std::move(probes));
  }

  awaitable<Status> connect(std::optional<Position> checkpoint) override {
    co_await release();  // a retried connect starts from nothing (and keeps the slot)
    executor_ = co_await asio::this_coro::executor;
    std::optional<CdcPosition> resume;
    if (checkpoint) {
      resume = parse_position(*checkpoint);
      if (!resume) {
        co_return Error::permanent("checkpoint '" + *checkpoint +
                                   "' is not a postgres_cdc position (was the pipeline's source "
                                   "type changed? delete its checkpoint to start over)");
      }
    }
    // A one-off copy (initial_only) needs no slot, so no replication connection either.
    const bool copy_only = config_.snapshot_mode == SnapshotMode::kInitialOnly;
    const ConnectOptions options = connect_options(/*replication=*/!copy_only);
    auto conn = co_await PgConnection::connect(executor_, options);
    if (!conn.ok()) co_return explain_connect_error(conn.error());
    replication_ = std::move(*conn);
    database_ = replication_->database();
    if (!copy_only) {
      if (Status s = co_await check_wal_level(*replication_); !s.ok()) co_return s;
    }
    auto tables = co_await resolve_tables(*replication_, config_);
    if (!tables.ok()) co_return tables.error();
    stream_ = std::make_unique<ReplicationStream>(config_, database_, metrics_.get(), log_);
    std::map<std::string, std::vector<std::string>> primary_keys;
    for (const auto& t : *tables) primary_keys[t.qualified()] = t.key_columns;
    stream_->set_primary_keys(std::move(primary_keys));

    const auto* stream_point = resume ? std::get_if<StreamPoint>(&*resume) : nullptr;
    const auto* snapshot_point = resume ? std::get_if<SnapshotPoint>(&*resume) : nullptr;
    std::optional<SnapshotPoint> snapshot_resume;
    if (snapshot_point != nullptr) snapshot_resume = *snapshot_point;

    if (copy_only) {
      replication_.reset();
      if (stream_point != nullptr) {
        phase_ = Phase::kDone;
        co_return Status{};
      }
      co_return co_await open_snapshot(std::move(*tables), "", snapshot_resume);
    }
    if (Status s = co_await ensure_publication(*replication_, config_, *tables); !s.ok()) {
      co_return s;
    }
    auto slot = co_await inspect_slot(*replication_, config_.slot_name);
    if (!slot.ok()) co_return slot.error();
    if (slot->exists) {
      if (Status s = check_slot_usable(*slot, config_, database_); !s.ok()) co_return s;
    }
    Status started;
    if (stream_point != nullptr) {
      if (!slot->exists) {
        co_return slot_missing(config_, "streamed from it up to " + format_position(*stream_point));
      }
      stream_->resume_after(*stream_point);
      phase_ = Phase::kStreaming;
      log_->info("resuming the change stream of slot {} after {}", config_.slot_name,
                 format_position(*stream_point));
    } else if (snapshot_point != nullptr) {
      if (!slot->exists) co_return slot_missing(config_, "was part-way through its snapshot");
      log_->info(
          "resuming the snapshot at table {} after key {} (at a new snapshot; the slot "
          "replays changes made since)",
          snapshot_point->table, format_position(*snapshot_point));
      started = co_await open_snapshot(std::move(*tables), "", snapshot_resume);
    } else if (config_.snapshot_mode == SnapshotMode::kNever) {
      if (!slot->exists) {
        auto created = co_await create_slot(*replication_, config_.slot_name, false);
        if (!created.ok()) co_return created.error();
        log_->info("created replication slot {} at {}", config_.slot_name,
                   format_lsn(created->consistent_point));
      }
      phase_ = Phase::kStreaming;
    } else if (slot->exists) {
      log_->warn(
          "replication slot {} already exists: the initial snapshot is read at a new "
          "snapshot, and changes since the slot's position may arrive twice",
          config_.slot_name);
      started = co_await open_snapshot(std::move(*tables), "", std::nullopt);
    } else {
      auto created = co_await create_slot(*replication_, config_.slot_name, true);
      if (!created.ok()) co_return created.error();
      log_->info("created replication slot {} at {}; snapshot {}", config_.slot_name,
                 format_lsn(created->consistent_point), created->snapshot_name);
      // Imported before the next command on the replication connection, which ends the export.
      started = co_await open_snapshot(std::move(*tables), created->snapshot_name, std::nullopt);
    }
    if (!started.ok()) co_return started;
    if (!copy_only) monitor_->start(executor_);
    co_return Status{};
  }

  awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    if (phase_ == Phase::kSnapshot) {
      auto batch = co_await read_snapshot(max_records);
      if (!batch.ok() || !batch->empty() || phase_ != Phase::kStreaming) co_return batch;
    }
    if (phase_ != Phase::kStreaming) co_return Batch{};
    if (!stream_->attached()) {
      Status opened = co_await open_stream();
      if (!opened.ok()) {
        replication_.reset();
        co_return opened.error();
      }
    }
    auto batch = co_await stream_->take(max_records, kPollSlice);
    if (!batch.ok()) {
      if (metrics_) metrics_->stream_restarts.Increment();
      co_await stream_->detach();  // the next read attaches a new connection
    }
    co_return batch;
  }

  bool finished() const override { return phase_ == Phase::kDone; }

  awaitable<Status> commit(const Position& position) override {
    auto parsed = parse_position(position);
    if (parsed && stream_) {
      if (const auto* point = std::get_if<StreamPoint>(&*parsed)) stream_->acknowledge(*point);
    }
    co_return Status{};
  }

  awaitable<void> close() override {
    co_await release();
    if (config_.drop_slot_on_stop && executor_) co_await drop_slot_now();
  }

  // Read by the admin server's threads: the monitor guards its own state.
  Health health() const override { return monitor_->health(); }
  std::optional<Backlog> backlog() const override { return monitor_->backlog(); }

 private:
  // A named value, not a braced temporary: GCC 12 destroys braced temporaries passed to a
  // coroutine twice.
  ConnectOptions connect_options(bool replication) const {
    ConnectOptions options;
    options.dsn = config_.dsn;
    options.replication = replication;
    return options;
  }

  // Ends the monitor, the stream and every connection; the slot stays.
  awaitable<void> release() {
    co_await monitor_->stop();
    if (stream_) co_await stream_->detach();
    snapshot_conn_.reset();
    replication_.reset();
    stream_.reset();
    snapshot_.reset();
  }

  awaitable<Status> open_snapshot(std::vector<SourceTable> tables, const std::string& name,
                                  std::optional<SnapshotPoint> resume) {
    snapshot_ =
        std::make_unique<SnapshotReader>(std::move(tables), config_, database_, std::move(resume));
    phase_ = Phase::kSnapshot;
    co_return co_await begin_snapshot(name);
  }

  awaitable<Status> begin_snapshot(const std::string& name) {
    const ConnectOptions options = connect_options(/*replication=*/false);
    auto conn = co_await PgConnection::connect(executor_, options);
    if (!conn.ok()) co_return explain_connect_error(conn.error());
    snapshot_conn_ = std::move(*conn);
    Status begun = co_await snapshot_->begin(*snapshot_conn_, name);
    if (!begun.ok()) snapshot_conn_.reset();
    co_return begun;
  }

  awaitable<Result<Batch>> read_snapshot(std::size_t max_records) {
    if (!snapshot_conn_) {
      // The connection broke mid-snapshot: the rest is read at a new snapshot.
      if (Status s = co_await begin_snapshot(""); !s.ok()) co_return s.error();
    }
    auto batch = co_await snapshot_->read(*snapshot_conn_, max_records);
    if (!batch.ok()) {
      snapshot_conn_.reset();
      co_return batch;
    }
    if (metrics_) {
      // Counted per run of rows from one table (a batch spans at most a few), not per row: each
      // count looks the series up under the registry's lock.
      std::size_t run_start = 0;
      for (std::size_t i = 1; i <= batch->size(); ++i) {
        const auto& table = (*batch)[run_start].headers.at("_table");
        if (i < batch->size() && (*batch)[i].headers.at("_table") == table) continue;
        metrics_->count_snapshot_rows(table, i - run_start);
        run_start = i;
      }
    }
    if (snapshot_->done()) {
      auto committed = co_await snapshot_conn_->query("COMMIT");
      (void)committed;  // read-only: nothing to lose if the commit itself fails
      snapshot_conn_.reset();
      const bool only = config_.snapshot_mode == SnapshotMode::kInitialOnly;
      phase_ = only ? Phase::kDone : Phase::kStreaming;
      log_->info("initial snapshot read{}", only ? "" : "; streaming changes");
    }
    co_return batch;
  }

  awaitable<Status> open_stream() {
    if (!replication_) {
      const ConnectOptions options = connect_options(/*replication=*/true);
      auto conn = co_await PgConnection::connect(executor_, options);
      if (!conn.ok()) co_return explain_connect_error(conn.error());
      replication_ = std::move(*conn);
    }
    auto slot = co_await inspect_slot(*replication_, config_.slot_name);
    if (!slot.ok()) co_return slot.error();
    if (!slot->exists) co_return slot_missing(config_, "is streaming from it");
    if (Status s = check_slot_usable(*slot, config_, database_); !s.ok()) co_return s;
    if (Status s = co_await start_replication(*replication_, config_); !s.ok()) co_return s;
    co_await stream_->attach(std::move(replication_), slot->confirmed_flush.value_or(0));
    co_return Status{};
  }

  awaitable<void> drop_slot_now() {
    // The walsender lets go of the slot a moment after its connection closes.
    asio::steady_timer pause(executor_);
    for (int attempt = 0; attempt < 20; ++attempt) {
      const ConnectOptions options = connect_options(/*replication=*/false);
      auto conn = co_await PgConnection::connect(executor_, options);
      if (!conn.ok()) break;
      auto dropped = co_await (*conn)->query("SELECT pg_drop_replication_slot(" +
                                             (*conn)->quote_literal(config_.slot_name) + ")");
      if (dropped.ok() || (*conn)->last_sqlstate() == "42704") {
        log_->info("dropped replication slot {} (slot.drop_on_stop)", config_.slot_name);
        co_return;
      }
      pause.expires_after(std::chrono::milliseconds(250));
      co_await pause.async_wait(kNoThrow);
    }
    log_->warn(
        "replication slot {} could not be dropped; drop it by hand so it does not pin "
        "WAL: SELECT pg_drop_replication_slot('{}')",
        config_.slot_name, config_.slot_name);
  }

  CdcConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<CdcMetrics> metrics_;
  asio::any_io_executor executor_;
  std::string database_;
  Phase phase_ = Phase::kStreaming;

  std::unique_ptr<PgConnection> replication_;  // until it is handed to the stream
  std::unique_ptr<PgConnection> snapshot_conn_;
  std::unique_ptr<SnapshotReader> snapshot_;
  std::unique_ptr<ReplicationStream> stream_;

  std::unique_ptr<SlotMonitor> monitor_;
};

}  // namespace

std::unique_ptr<Source> make_cdc_source(CdcConfig config, const ConnectorContext& ctx) {
  return std::make_unique<CdcSource>(std::move(config), ctx);
}

}  // namespace weft::pgcdc

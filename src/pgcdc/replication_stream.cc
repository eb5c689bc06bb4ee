#include "pgcdc/replication_stream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace weft::pgcdc {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// How long take() waits for a partly filled batch to fill while changes arrive.
constexpr std::chrono::milliseconds kLinger{5};

std::optional<StreamPoint> stream_point_of(const Record& record) {
  auto parsed = parse_position(record.position);
  if (!parsed) return std::nullopt;
  if (auto* point = std::get_if<StreamPoint>(&*parsed)) return *point;
  return std::nullopt;
}

std::optional<StreamPoint> newest(std::optional<StreamPoint> a, std::optional<StreamPoint> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

}  // namespace

ReplicationStream::ReplicationStream(const CdcConfig& config, std::string database,
                                     CdcMetrics* metrics, std::shared_ptr<spdlog::logger> logger)
    : config_(config),
      database_(database),
      metrics_(metrics),
      log_(std::move(logger)),
      changes_(config, std::move(database)) {}

ReplicationStream::~ReplicationStream() = default;

void ReplicationStream::resume_after(StreamPoint point) {
  acked_ = point;
  changes_.skip_through(point);
}

awaitable<void> ReplicationStream::attach(std::unique_ptr<PgConnection> conn, Lsn slot_confirmed) {
  auto executor = co_await asio::this_coro::executor;
  if (!data_ready_) {
    data_ready_ = std::make_unique<asio::steady_timer>(executor);
    space_ready_ = std::make_unique<asio::steady_timer>(executor);
    pump_exited_ = std::make_unique<asio::steady_timer>(executor);
  }
  conn_ = std::move(conn);
  broken_.reset();
  stopping_ = false;
  confirmed_ = std::max(confirmed_, slot_confirmed);
  reported_ = 0;  // the first status update goes out at once
  // Whatever the old connection produced is buffered or handed out already; the new one starts
  // at the slot's confirmed position and re-sends it.
  std::optional<StreamPoint> seen = newest(acked_, last_handed_out_);
  if (!buffer_.empty()) seen = newest(seen, stream_point_of(buffer_.back()));
  if (seen) changes_.skip_through(*seen);
  pumping_ = true;
  asio::co_spawn(executor, pump(), [this](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        broken_ =
            Error::retryable(std::string("postgres: replication stream failed: ") + ex.what());
      }
    }
    pumping_ = false;
    pump_exited_->cancel();
    data_ready_->cancel();
  });
}

awaitable<void> ReplicationStream::pump() {
  while (!stopping_) {
    if (buffer_.size() >= config_.max_buffered_records) {
      // The pipeline is behind: stop reading (the server waits) but keep reporting, or
      // wal_sender_timeout would end the connection.
      space_ready_->expires_after(config_.status_interval);
      co_await space_ready_->async_wait(kNoThrow);
    } else {
      const auto since = std::chrono::steady_clock::now() - last_status_;
      const auto until_status = std::max<std::chrono::milliseconds>(
          std::chrono::milliseconds(1),
          config_.status_interval - std::chrono::duration_cast<std::chrono::milliseconds>(since));
      auto read = co_await conn_->read_copy_data(until_status);
      if (!read.ok()) {
        if (!stopping_) broken_ = read.error();
        break;
      }
      if (*read) {
        Status handled = co_await handle(**read);
        if (!handled.ok()) {
          broken_ = handled.error();
          break;
        }
      }
    }
    if (stopping_) break;
    advance_confirmed();
    Status sent = co_await send_status(false);
    if (!sent.ok()) {
      broken_ = sent.error();
      break;
    }
  }
}

awaitable<Status> ReplicationStream::handle(std::string_view message) {
  auto parsed = parse_stream_message(message);
  if (!parsed.ok()) co_return parsed.error();
  if (auto* data = std::get_if<XLogData>(&*parsed)) {
    const auto before = buffer_.size();
    Status applied = changes_.apply(data->message, buffer_);
    if (!applied.ok()) co_return applied;
    if (!changes_.in_transaction()) idle_wal_end_ = std::max(idle_wal_end_, data->wal_end);
    if (buffer_.size() > before && buffer_.size() >= wanted_) data_ready_->cancel();
    if (metrics_ != nullptr && !changes_.ended().empty()) {
      metrics_->last_commit.Set(
          std::chrono::duration<double>(
              from_pg_time(changes_.ended().back().commit_time).time_since_epoch())
              .count());
    }
  } else {
    const auto& keepalive = std::get<Keepalive>(*parsed);
    if (!changes_.in_transaction()) idle_wal_end_ = std::max(idle_wal_end_, keepalive.wal_end);
    if (keepalive.reply_requested) reply_requested_ = true;
  }
  co_return Status{};
}

void ReplicationStream::advance_confirmed() {
  auto& ended = changes_.ended();
  Lsn target = confirmed_;
  while (!ended.empty()) {
    const auto& oldest = ended.front();
    if (oldest.last_record && !(acked_ && *oldest.last_record <= *acked_)) break;
    target = std::max(target, oldest.end_lsn);
    ended.pop_front();
  }
  const bool nothing_in_flight = ended.empty() && !changes_.in_transaction() && buffer_.empty() &&
                                 (!last_handed_out_ || (acked_ && *last_handed_out_ <= *acked_));
  if (nothing_in_flight) target = std::max(target, idle_wal_end_);
  if (target != confirmed_) {
    log_->debug("confirming {} (was {}; idle {}, in flight {}, ended {})", format_lsn(target),
                format_lsn(confirmed_), nothing_in_flight, format_lsn(idle_wal_end_), ended.size());
  }
  confirmed_ = target;
}

awaitable<Status> ReplicationStream::send_status(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const bool due = force || reply_requested_ || confirmed_ != reported_ ||
                   now - last_status_ >= config_.status_interval;
  if (!due || conn_ == nullptr) co_return Status{};
  const auto message =
      standby_status_update(confirmed_, confirmed_, confirmed_, to_pg_time(Clock::now()), false);
  Status sent = co_await conn_->write_copy_data(message);
  if (!sent.ok()) co_return sent;
  reported_ = confirmed_;
  last_status_ = now;
  reply_requested_ = false;
  if (metrics_ != nullptr) metrics_->confirmed_lsn.Set(static_cast<double>(confirmed_));
  co_return Status{};
}

awaitable<Result<Batch>> ReplicationStream::take(std::size_t max_records,
                                                 std::chrono::milliseconds wait) {
  if (buffer_.empty() && !broken_ && pumping_) {
    wanted_ = 1;
    data_ready_->expires_after(wait);
    co_await data_ready_->async_wait(kNoThrow);
  }
  if (!buffer_.empty() && buffer_.size() < max_records && !broken_ && pumping_) {
    // Changes are arriving: give the batch a moment to fill, so a busy stream moves through
    // the pipeline in full batches instead of one per network read.
    wanted_ = max_records;
    data_ready_->expires_after(kLinger);
    co_await data_ready_->async_wait(kNoThrow);
  }
  wanted_ = 1;
  if (buffer_.empty()) {
    if (broken_) co_return *broken_;
    co_return Batch{};
  }
  Batch batch;
  if (buffer_.size() <= max_records) {
    batch.swap(buffer_);
  } else {
    batch.assign(
        std::make_move_iterator(buffer_.begin()),
        std::make_move_iterator(buffer_.begin() + static_cast<std::ptrdiff_t>(max_records)));
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(max_records));
  }
  last_handed_out_ = newest(last_handed_out_, stream_point_of(batch.back()));
  space_ready_->cancel();
  co_return std::move(batch);
}

void ReplicationStream::acknowledge(StreamPoint point) {
  acked_ = newest(acked_, point);
  // Wake the pump so the new position is reported now rather than at the next interval.
  if (conn_ != nullptr && pumping_) {
    conn_->cancel_waits();
    space_ready_->cancel();
  }
}

awaitable<void> ReplicationStream::detach() {
  if (conn_ == nullptr) co_return;
  stopping_ = true;
  conn_->cancel_waits();
  if (space_ready_) space_ready_->cancel();
  while (pumping_) {
    pump_exited_->expires_after(std::chrono::seconds(1));
    co_await pump_exited_->async_wait(kNoThrow);
    conn_->cancel_waits();
  }
  if (!broken_) {
    advance_confirmed();
    Status sent = co_await send_status(true);
    if (!sent.ok()) log_->debug("last status update not sent: {}", sent.error().message());
  }
  conn_.reset();
  stopping_ = false;
}

std::optional<std::int64_t> ReplicationStream::oldest_unconfirmed_commit() const {
  const auto& ended = changes_.ended();
  if (ended.empty()) return std::nullopt;
  return ended.front().commit_time;
}

}  // namespace weft::pgcdc

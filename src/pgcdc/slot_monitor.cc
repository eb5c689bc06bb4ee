#include "pgcdc/slot_monitor.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "pgcdc/change_stream.h"
#include "pgcdc/replication_setup.h"

namespace weft::pgcdc {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// A slot is briefly inactive while the stream reconnects; only this many checks in a row count.
constexpr int kInactiveChecks = 3;

double number_at(const PGresult* result, int column) {
  return std::stod(std::string(cell(result, 0, column).value_or("0")));
}

}  // namespace

SlotMonitor::SlotMonitor(const CdcConfig& config, CdcMetrics* metrics,
                         std::shared_ptr<spdlog::logger> logger, Probes probes)
    : config_(config), metrics_(metrics), log_(std::move(logger)), probes_(std::move(probes)) {}

void SlotMonitor::start(const asio::any_io_executor& executor) {
  executor_ = executor;
  stopping_ = false;
  set_problem({});
  running_ = true;
  timer_ = std::make_unique<asio::steady_timer>(executor_);
  asio::co_spawn(executor_, run(), [this](std::exception_ptr) {
    running_ = false;
    timer_->cancel();
  });
}

awaitable<void> SlotMonitor::stop() {
  if (!running_) co_return;
  stopping_ = true;
  asio::steady_timer pause(executor_);
  while (running_) {
    timer_->cancel();
    pause.expires_after(std::chrono::milliseconds(20));
    co_await pause.async_wait(kNoThrow);
  }
  conn_.reset();
}

Health SlotMonitor::health() const {
  std::lock_guard lock(mutex_);
  if (problem_.empty()) return {};
  return {false, problem_};
}

Backlog SlotMonitor::backlog() const {
  std::lock_guard lock(mutex_);
  return backlog_;
}

void SlotMonitor::set_problem(std::string reason) {
  std::lock_guard lock(mutex_);
  problem_ = std::move(reason);
}

awaitable<void> SlotMonitor::run() {
  auto interval = config_.status_interval;
  if (config_.heartbeat_interval.count() > 0) {
    interval = std::min(interval, config_.heartbeat_interval);
  }
  auto last_heartbeat = std::chrono::steady_clock::now();
  while (!stopping_) {
    co_await check();
    if (stopping_) break;
    const auto now = std::chrono::steady_clock::now();
    if (config_.heartbeat_interval.count() > 0 &&
        now - last_heartbeat >= config_.heartbeat_interval) {
      last_heartbeat = now;
      co_await heartbeat();
    }
    timer_->expires_after(interval);
    co_await timer_->async_wait(kNoThrow);
  }
}

awaitable<void> SlotMonitor::heartbeat() {
  if (!conn_) co_return;
  const std::string sql =
      config_.heartbeat_query.empty()
          ? std::string("SELECT pg_logical_emit_message(false, '") + kHeartbeatPrefix + "', '')"
          : config_.heartbeat_query;
  auto beat = co_await conn_->query(sql);
  if (!beat.ok()) log_->warn("heartbeat failed: {}", beat.error().message());
}

awaitable<void> SlotMonitor::check() {
  if (!conn_) {
    ConnectOptions options;
    options.dsn = config_.dsn;
    auto conn = co_await PgConnection::connect(executor_, options);
    if (!conn.ok()) co_return;  // the stream reports connection problems itself
    conn_ = std::move(*conn);
  }
  const bool has_wal_status = conn_->server_version() >= 130000;
  auto result = co_await conn_->query(
      std::string("SELECT ") + (has_wal_status ? "wal_status" : "'reserved'") +
      ", pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
      ", pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, active::text FROM "
      "pg_replication_slots WHERE slot_name = " +
      conn_->quote_literal(config_.slot_name));
  if (!result.ok()) {
    conn_.reset();
    co_return;
  }
  const bool streaming = probes_.streaming();
  const std::string slot = "replication slot " + config_.slot_name;
  std::string problem;
  std::string wal_status = "missing";
  double lag_bytes = 0;
  double retained_bytes = 0;
  const PGresult* r = result->get();
  if (PQntuples(r) == 0) {
    if (streaming) problem = slot + " is missing. " + start_over_instructions(config_);
  } else {
    wal_status = std::string(cell(r, 0, 0).value_or(""));
    lag_bytes = number_at(r, 1);
    retained_bytes = number_at(r, 2);
    const bool active = cell(r, 0, 3).value_or("") == "true";
    inactive_checks_ = streaming && !active ? inactive_checks_ + 1 : 0;
    if (wal_status == "lost") {
      problem = slot + " was invalidated (wal_status lost): changes were lost. " +
                start_over_instructions(config_);
    } else if (config_.max_lag_bytes > 0 &&
               retained_bytes > static_cast<double>(config_.max_lag_bytes)) {
      problem = slot + " retains " + std::to_string(static_cast<std::uint64_t>(retained_bytes)) +
                " bytes of WAL, over max_lag " + std::to_string(config_.max_lag_bytes);
    } else if (inactive_checks_ >= kInactiveChecks) {
      problem = slot + " is inactive: weft is not streaming from it (see the pipeline's errors)";
    }
  }
  // Only an unconfirmed transaction is a backlog: the slot's byte lag alone also counts WAL
  // written for other databases and tables, which this source will never deliver.
  Backlog backlog;
  double lag_seconds = 0;
  if (auto oldest = probes_.oldest_unconfirmed_commit()) {
    const auto age = Clock::now() - from_pg_time(*oldest);
    lag_seconds = std::max(0.0, std::chrono::duration<double>(age).count());
    backlog.pending = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(lag_bytes));
    backlog.age = std::chrono::duration_cast<std::chrono::milliseconds>(age);
  }
  {
    std::lock_guard lock(mutex_);
    backlog_ = backlog;
  }
  if (metrics_ != nullptr) {
    metrics_->set_wal_status(wal_status);
    metrics_->lag_bytes.Set(lag_bytes);
    metrics_->retained_bytes.Set(retained_bytes);
    metrics_->lag_seconds.Set(lag_seconds);
  }
  set_problem(std::move(problem));
}

}  // namespace weft::pgcdc

#pragma once

// Watches a `postgres_cdc` source's replication slot from the side, on a connection of its
// own: every status interval it reads the slot's state into the metrics (lag, retained WAL,
// wal_status) and decides whether the source is healthy (the slot lost, missing or inactive
// while it should stream, or retaining more WAL than max_lag); with heartbeats on, it writes a
// logical decoding message so a quiet database's slot still sees traffic.
//
// Runs on the source's strand; health() may be called from any thread.

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "pgcdc/cdc_config.h"
#include "pgcdc/cdc_metrics.h"
#include "pgcdc/pg_connection.h"
#include "weft/source.h"

namespace weft::pgcdc {

class SlotMonitor {
 public:
  // What the monitor asks the source: is it streaming (so the slot must exist and be active),
  // and the commit time of its oldest unconfirmed transaction (for the lag in seconds).
  struct Probes {
    std::function<bool()> streaming;
    std::function<std::optional<std::int64_t>()> oldest_unconfirmed_commit;
  };

  // `metrics` may be null; it, `config` and `logger` outlive the monitor.
  SlotMonitor(const CdcConfig& config, CdcMetrics* metrics, std::shared_ptr<spdlog::logger> logger,
              Probes probes);

  // Starts the checks on `executor` (the source's strand).
  void start(const boost::asio::any_io_executor& executor);
  // Stops them and waits until the checking coroutine has ended.
  boost::asio::awaitable<void> stop();

  Health health() const;
  // What the last check found unconfirmed: the slot's lag in WAL bytes and the age of the
  // oldest unconfirmed transaction; pending 0 when every transaction is confirmed.
  Backlog backlog() const;

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> check();
  boost::asio::awaitable<void> heartbeat();
  void set_problem(std::string reason);

  const CdcConfig& config_;
  CdcMetrics* metrics_;
  std::shared_ptr<spdlog::logger> log_;
  Probes probes_;
  boost::asio::any_io_executor executor_;
  std::unique_ptr<PgConnection> conn_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool running_ = false;
  bool stopping_ = false;
  int inactive_checks_ = 0;  // consecutive checks that found the slot inactive while streaming

  mutable std::mutex mutex_;
  std::string problem_;  // why the source is unhealthy; empty when it is not
  Backlog backlog_;
};

}  // namespace weft::pgcdc

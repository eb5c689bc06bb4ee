#pragma once

// The streaming half of the `postgres_cdc` source: reads the replication connection on a pump
// coroutine (so keepalives are answered and status updates sent even while the pipeline is busy
// delivering), decodes changes into a bounded buffer the source hands out, and confirms LSNs:
//
//   * a transaction's end LSN once its last record is committed by the pipeline;
//   * the server's WAL end from keepalives when nothing is in flight, so an idle or filtered
//     slot does not pin WAL;
//   * reported on every advance, when the server asks, and every status interval.
//
// One stream outlives the connections it reads: after a connection failure the source attaches
// a new one, and records already handed out are skipped by position when the server re-sends
// them. Everything runs on the source's strand; nothing here is thread-safe.

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "pgcdc/cdc_config.h"
#include "pgcdc/cdc_metrics.h"
#include "pgcdc/cdc_position.h"
#include "pgcdc/change_stream.h"
#include "pgcdc/pg_connection.h"
#include "weft/record.h"

namespace weft::pgcdc {

class ReplicationStream {
 public:
  // `metrics` may be null (tests); it and `logger` outlive the stream.
  ReplicationStream(const CdcConfig& config, std::string database, CdcMetrics* metrics,
                    std::shared_ptr<spdlog::logger> logger);
  ~ReplicationStream();

  // The tables' primary keys, for the record key of REPLICA IDENTITY FULL tables.
  void set_primary_keys(std::map<std::string, std::vector<std::string>> keys) {
    changes_.set_primary_keys(std::move(keys));
  }

  // Records at or before `point` were delivered before this stream began (a restart).
  void resume_after(StreamPoint point);

  // Starts pumping `conn`, which START_REPLICATION has put in COPY BOTH mode; `slot_confirmed`
  // is the slot's confirmed flush position. Runs the pump on the calling coroutine's executor.
  boost::asio::awaitable<void> attach(std::unique_ptr<PgConnection> conn, Lsn slot_confirmed);
  bool attached() const { return conn_ != nullptr; }

  // Up to `max_records` decoded records, waiting at most `wait` for the first. When the
  // connection broke and nothing is buffered: the error (the source then detaches and attaches
  // a new connection).
  boost::asio::awaitable<Result<Batch>> take(std::size_t max_records,
                                             std::chrono::milliseconds wait);

  // The pipeline committed every record up to `point`.
  void acknowledge(StreamPoint point);

  // Stops the pump, reports the confirmed position one last time if the connection still
  // works, and closes it.
  boost::asio::awaitable<void> detach();

  Lsn confirmed() const { return confirmed_; }
  // Commit time (Postgres microseconds) of the oldest transaction not yet confirmed; nullopt
  // when everything received is confirmed.
  std::optional<std::int64_t> oldest_unconfirmed_commit() const;

 private:
  boost::asio::awaitable<void> pump();
  boost::asio::awaitable<Status> handle(std::string_view message);
  boost::asio::awaitable<Status> send_status(bool force);
  void advance_confirmed();

  const CdcConfig& config_;
  std::string database_;
  CdcMetrics* metrics_;
  std::shared_ptr<spdlog::logger> log_;

  std::unique_ptr<PgConnection> conn_;
  // One for the stream's life: the next connection re-sends Relation messages before it
  // uses them, and its first transaction starts with a Begin.
  ChangeStream changes_;
  Batch buffer_;                 // decoded, not yet handed out
  std::optional<Error> broken_;  // why the pump stopped
  bool stopping_ = false;
  bool pumping_ = false;
  std::unique_ptr<boost::asio::steady_timer> data_ready_;   // cancelled when records arrive
  std::unique_ptr<boost::asio::steady_timer> space_ready_;  // cancelled when records are taken
  std::unique_ptr<boost::asio::steady_timer> pump_exited_;  // cancelled when the pump ends

  std::optional<StreamPoint> acked_;            // committed by the pipeline
  std::optional<StreamPoint> last_handed_out_;  // the newest record take() returned
  Lsn confirmed_ = 0;                           // what the server was told (or will be)
  Lsn reported_ = 0;                            // what the last status update said
  Lsn idle_wal_end_ = 0;  // the server's WAL end, seen while no transaction was open
  bool reply_requested_ = false;
  std::size_t wanted_ = 1;  // buffered records that wake a waiting take()
  std::chrono::steady_clock::time_point last_status_{};
};

}  // namespace weft::pgcdc

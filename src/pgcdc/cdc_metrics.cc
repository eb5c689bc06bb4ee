#include "pgcdc/cdc_metrics.h"

namespace weft::pgcdc {
namespace {

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help, const std::string& pipeline) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(
      {{"pipeline", pipeline}});
}

}  // namespace

CdcMetrics::CdcMetrics(prometheus::Registry& registry, const std::string& pipeline_name)
    : lag_bytes(gauge(registry, "weft_cdc_replication_lag_bytes",
                      "The server's WAL position minus the slot's confirmed flush position",
                      pipeline_name)),
      retained_bytes(gauge(registry, "weft_cdc_slot_retained_wal_bytes",
                           "WAL the slot keeps on the server's disk: the WAL position minus the "
                           "slot's restart_lsn (max_lag applies to it)",
                           pipeline_name)),
      lag_seconds(gauge(registry, "weft_cdc_replication_lag_seconds",
                        "Age of the oldest committed change not yet confirmed (0 when all are)",
                        pipeline_name)),
      confirmed_lsn(gauge(registry, "weft_cdc_confirmed_flush_lsn",
                          "The last LSN weft confirmed to the slot, as a number", pipeline_name)),
      last_commit(gauge(registry, "weft_cdc_last_commit_timestamp_seconds",
                        "Commit time of the last transaction received", pipeline_name)),
      stream_restarts(prometheus::BuildCounter()
                          .Name("weft_cdc_stream_restarts_total")
                          .Help("Replication streams re-opened after a connection failure")
                          .Register(registry)
                          .Add({{"pipeline", pipeline_name}})),
      wal_status(prometheus::BuildGauge()
                     .Name("weft_cdc_slot_wal_status")
                     .Help("1 for the slot's current wal_status (reserved, extended, "
                           "unreserved, lost, missing)")
                     .Register(registry)),
      snapshot_rows(prometheus::BuildCounter()
                        .Name("weft_cdc_snapshot_rows_total")
                        .Help("Rows read by the initial snapshot")
                        .Register(registry)),
      pipeline(pipeline_name) {}

void CdcMetrics::set_wal_status(const std::string& status) {
  for (const char* s : {"reserved", "extended", "unreserved", "lost", "missing"}) {
    wal_status.Add({{"pipeline", pipeline}, {"wal_status", s}}).Set(status == s ? 1 : 0);
  }
}

void CdcMetrics::count_snapshot_rows(const std::string& table, std::size_t rows) {
  snapshot_rows.Add({{"pipeline", pipeline}, {"table", table}})
      .Increment(static_cast<double>(rows));
}

}  // namespace weft::pgcdc

#pragma once

// The `postgres_cdc` source's Prometheus metrics (docs/connectors/postgres_cdc.md lists them).
// Gauges and counters are thread-safe; families are registered once per pipeline.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <string>

namespace weft::pgcdc {

struct CdcMetrics {
  CdcMetrics(prometheus::Registry& registry, const std::string& pipeline);

  // Sets the slot's wal_status gauge: 1 for `status`, 0 for the others.
  void set_wal_status(const std::string& status);
  void count_snapshot_rows(const std::string& table, std::size_t rows);

  prometheus::Gauge& lag_bytes;
  prometheus::Gauge& retained_bytes;
  prometheus::Gauge& lag_seconds;
  prometheus::Gauge& confirmed_lsn;
  prometheus::Gauge& last_commit;
  prometheus::Counter& stream_restarts;
  prometheus::Family<prometheus::Gauge>& wal_status;
  prometheus::Family<prometheus::Counter>& snapshot_rows;
  std::string pipeline;
};

}  // namespace weft::pgcdc

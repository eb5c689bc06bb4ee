#pragma once

// The `kafka` sink: each record becomes one message of an idempotent producer (acks=all), its
// topic and key computed from the record by templates, its value the record's JSON (or null, a
// tombstone, for a deleted entity when `tombstones` is on), chosen record headers as Kafka
// headers. A record counts as delivered only on the broker's success report.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delivery/record_template.h"
#include "kafka/client_config.h"
#include "weft/context.h"
#include "weft/sink.h"

namespace weft::kafka {

struct KafkaSinkConfig {
  ClientConfig client;
  std::optional<RecordTemplate> topic;  // always set by from()
  std::optional<RecordTemplate> key;    // none: the record's key (no key when it is empty)
  std::vector<std::string> headers;     // record headers sent as Kafka headers; "*": all
  bool tombstones = false;
  std::string compression = "none";
  std::chrono::milliseconds linger{1};
  // write_batch calls the runtime may have waiting at once; 0: batches_in_flight_for() the
  // pipeline's batch size.
  std::size_t batches_in_flight = 0;

  // The librdkafka properties: the client's, the sink's own, then `librdkafka` (which may
  // override them, except that idempotence stays on).
  std::map<std::string, std::string> properties() const;
};

// The records the sink keeps handed to the producer and unconfirmed when `batches_in_flight`
// is not set: enough for librdkafka to fill its requests while earlier ones are confirmed.
inline constexpr std::size_t kRecordsInFlight = 16000;

// The batches that hold about kRecordsInFlight records of `batch_max_records` (0: unknown),
// at least 2 so one is produced while another is confirmed, at most 64.
std::size_t batches_in_flight_for(std::size_t batch_max_records);

std::unique_ptr<Sink> make_kafka_sink(KafkaSinkConfig config, const ConnectorContext& ctx);

}  // namespace weft::kafka

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
  std::size_t batches_in_flight = 4;  // write_batch calls the runtime may have waiting at once

  // The librdkafka properties: the client's, the sink's own, then `librdkafka` (which may
  // override them, except that idempotence stays on).
  std::map<std::string, std::string> properties() const;
};

std::unique_ptr<Sink> make_kafka_sink(KafkaSinkConfig config, const ConnectorContext& ctx);

}  // namespace weft::kafka

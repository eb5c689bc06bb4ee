#pragma once

// The `kafka` source: a member of a consumer group that reads its assigned partitions and
// commits an offset to the group only once the pipeline has acknowledged every record read
// before it (delivered, dead-lettered or filtered), so a crash or a rebalance replays records
// rather than skipping them. Records carry the message key, the Kafka headers, `_topic`,
// `_partition` and `_offset` headers, the message timestamp as event time, and the id
// "topic/partition/offset" (the pipeline's idempotency layer can dedupe replays on it, or on an
// event id in the value or headers).
//
// The group's committed offsets, not the pipeline's checkpoint, say where reading resumes: the
// group is shared with other replicas, and each replica's checkpoint only knows its own records.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kafka/client_config.h"
#include "weft/context.h"
#include "weft/source.h"

namespace weft::kafka {

enum class ValueFormat {
  kJson,  // the value is one JSON document; anything else is dead-lettered
  kRaw,   // the value is UTF-8 text, carried as a JSON string
};

struct KafkaSourceConfig {
  ClientConfig client;
  std::vector<std::string> topics;  // names, or regular expressions starting with '^'
  std::string group;
  std::string start_from = "earliest";  // where a group without a committed offset starts
  ValueFormat format = ValueFormat::kJson;

  // The librdkafka consumer properties: the client's, then the source's own. Offsets are
  // only ever committed by weft, after the pipeline's acknowledgement, whatever `librdkafka`
  // says.
  std::map<std::string, std::string> properties() const;
};

std::unique_ptr<Source> make_kafka_source(KafkaSourceConfig config, const ConnectorContext& ctx);

}  // namespace weft::kafka

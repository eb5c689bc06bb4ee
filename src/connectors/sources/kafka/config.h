#pragma once

#include "kafka/kafka_source.h"
#include "weft/registry.h"
#include "weft/settings.h"

namespace weft::kafka {

// The source's settings, checked: topic patterns compile, `librdkafka` holds no secrets.
Result<KafkaSourceConfig> source_config(const Settings& settings);

ConnectorInfo source_info();

}  // namespace weft::kafka

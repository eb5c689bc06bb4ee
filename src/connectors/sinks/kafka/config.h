#pragma once

#include "kafka/kafka_sink.h"
#include "weft/registry.h"
#include "weft/settings.h"

namespace weft::kafka {

// The sink's settings, checked: templates parse, `librdkafka` holds no secrets (those have
// fields of their own, so they are redacted like every secret).
Result<KafkaSinkConfig> sink_config(const Settings& settings);

ConnectorInfo sink_info();

}  // namespace weft::kafka

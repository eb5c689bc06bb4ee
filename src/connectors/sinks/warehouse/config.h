#pragma once

#include "warehouse/warehouse_config.h"
#include "weft/registry.h"
#include "weft/settings.h"

namespace weft::warehouse {

// The sink's settings, checked: the dialect's connection field is set, identifiers are usable,
// merge has a primary key.
Result<WarehouseConfig> sink_config(const Settings& settings);

ConnectorInfo sink_info();

}  // namespace weft::warehouse

#pragma once

#include "salesforce/salesforce_sink.h"
#include "weft/registry.h"
#include "weft/settings.h"

namespace weft::salesforce {

// The sink's settings, checked: each OAuth grant has what it needs, the private key file can be
// read, upsert names its external id field.
Result<SalesforceConfig> sink_config(const Settings& settings);

ConnectorInfo sink_info();

}  // namespace weft::salesforce

#pragma once

#include "weft/registry.h"

namespace weft::rest {

// The `rest` source: polls an HTTP JSON API on a schedule (docs/connectors/rest.md).
ConnectorInfo info();

}  // namespace weft::rest

#pragma once

#include "weft/registry.h"

namespace weft::webhook {

// The `webhook` source type: its spec (validation, defaults, docs) and factory.
ConnectorInfo info();

}  // namespace weft::webhook

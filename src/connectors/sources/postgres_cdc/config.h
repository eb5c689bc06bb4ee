#pragma once

#include "weft/registry.h"

namespace weft::pgcdc {

// The `postgres_cdc` source: row changes from PostgreSQL logical replication
// (docs/connectors/postgres_cdc.md).
ConnectorInfo info();

}  // namespace weft::pgcdc

#pragma once

#include "weft/registry.h"

namespace weft::files {

// The `files` source: CSV and JSON files polled from an S3-compatible bucket or a local
// directory (docs/connectors/files.md).
ConnectorInfo info();

}  // namespace weft::files

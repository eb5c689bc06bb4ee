#pragma once

#include <memory>

#include "files/files_config.h"
#include "weft/context.h"
#include "weft/source.h"

namespace weft::files {

// The `files` source (docs/connectors/files.md). Each poll lists the location and queues the
// objects that match and are not yet in the pipeline's ledger (key + ETag); up to `concurrency`
// of them are fetched and parsed at once, but records leave one object after another, in key
// order, each object's in file order. An object counts as processed, and is kept, deleted or
// moved, once its last record is committed; a restart inside an object skips the rows up to the
// checkpoint's line.
std::unique_ptr<Source> make_files_source(FilesConfig config, const ConnectorContext& ctx);

}  // namespace weft::files

#pragma once

#include <memory>

#include "pgcdc/cdc_config.h"
#include "weft/context.h"
#include "weft/source.h"

namespace weft::pgcdc {

// The `postgres_cdc` source: an optional consistent snapshot of the configured tables, then
// the row changes of a logical replication slot, decoded from pgoutput. An LSN is confirmed to
// the slot only once every record up to its transaction's end is committed by the pipeline, so
// a restart (or a lost connection) resumes without losing a change; records delivered but not
// yet confirmed are skipped by position, so duplicates are rare and always carry the same id.
std::unique_ptr<Source> make_cdc_source(CdcConfig config, const ConnectorContext& ctx);

}  // namespace weft::pgcdc

#pragma once

#include <memory>

#include "connectors/sources/sql_query/config.h"
#include "weft/context.h"
#include "weft/source.h"

namespace weft::sql_query {

// The `sql_query` source: pages through the relation in (watermark, key) order, each page
// starting strictly after the last row handed out, and once caught up polls every
// poll_interval (or at once on trigger()). Positions are the rows' (watermark, key); commit()
// does nothing, since the runtime's saved checkpoint is all a restart needs.
std::unique_ptr<Source> make_sql_query_source(SqlQueryConfig config, const ConnectorContext& ctx);

}  // namespace weft::sql_query

#pragma once

#include <memory>

#include "rest/rest_config.h"
#include "weft/context.h"
#include "weft/source.h"

namespace weft::rest {

// The `rest` source: runs on a schedule, each run paging through the API from the first page
// to the last; records carry positions that let a restarted daemon continue inside the page it
// stopped in. The incremental cursor advances only when a run's last record is committed.
std::unique_ptr<Source> make_rest_source(RestConfig config, const ConnectorContext& ctx);

}  // namespace weft::rest

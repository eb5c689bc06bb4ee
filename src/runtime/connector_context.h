#pragma once

#include <string>

#include "runtime/shared_services.h"
#include "weft/context.h"

namespace prometheus {
class Registry;
}
namespace spdlog {
class logger;
}

namespace weft {

class StateStore;

// What a pipeline hands the connectors it builds: a logger naming "<pipeline>/<type>", the
// metrics registry, the daemon's shared services it has (crosswalk tables, the webhook
// listener), and the pipeline's processed-object ledger in `state` (which may be null).
ConnectorContext make_connector_context(const std::string& pipeline, const std::string& type,
                                        spdlog::logger& pipeline_log,
                                        prometheus::Registry& metrics,
                                        const SharedServices& shared, StateStore* state);

}  // namespace weft

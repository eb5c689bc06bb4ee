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

// What a pipeline hands the connectors it builds: a logger naming "<pipeline>/<type>", the
// metrics registry, and the daemon's shared services it has (crosswalk tables, the webhook
// listener).
ConnectorContext make_connector_context(const std::string& pipeline, const std::string& type,
                                        spdlog::logger& pipeline_log,
                                        prometheus::Registry& metrics,
                                        const SharedServices& shared);

}  // namespace weft

#pragma once

#include <string>

#include "weft/context.h"

namespace prometheus {
class Registry;
}
namespace spdlog {
class logger;
}

namespace weft {

class Crosswalk;

// What a pipeline hands the connectors it builds: a logger naming "<pipeline>/<type>", the
// metrics registry, and (when the daemon has one) access to the crosswalk tables.
ConnectorContext make_connector_context(const std::string& pipeline, const std::string& type,
                                        spdlog::logger& pipeline_log,
                                        prometheus::Registry& metrics, Crosswalk* crosswalk);

}  // namespace weft

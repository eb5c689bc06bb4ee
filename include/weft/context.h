#pragma once

#include <memory>
#include <string>

namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
}

namespace weft {

// What the runtime hands a connector when it builds one. The logger already names the pipeline
// and connector on every line; connector metrics are registered in `metrics` with a `pipeline`
// label. Both outlive the connector.
struct ConnectorContext {
  std::string pipeline;
  std::string connector;  // connector type, e.g. "file"
  std::shared_ptr<spdlog::logger> logger;
  prometheus::Registry* metrics = nullptr;
};

}  // namespace weft

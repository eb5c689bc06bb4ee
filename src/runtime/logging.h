#pragma once

#include <memory>
#include <string>

#include "weft/status.h"

namespace spdlog {
class logger;
}

namespace weft {

// Sets up the process-wide log output on stderr: `format` is "text" or "json" (one JSON object
// per line with time, level, pipeline, component and message), `level` one of trace, debug,
// info, warn, error. Call once before any logging; not thread-safe.
Status configure_logging(const std::string& level, const std::string& format);

// A logger whose every line names `name`: a pipeline ("orders"), or a pipeline's connector
// ("orders/file"). Loggers share the process sinks; thread-safe.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

}  // namespace weft

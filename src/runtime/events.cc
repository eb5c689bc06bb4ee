#include "runtime/events.h"

#include <spdlog/spdlog.h>

namespace weft::event {

void log(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view name,
         std::string_view message) {
  logger.log(level, "{}{} {}", kPrefix, name, message);
}

}  // namespace weft::event

#include "runtime/logging.h"

#include <string_view>

#include <chrono>

#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "runtime/events.h"

namespace weft {
namespace {

// One JSON object per line. spdlog's pattern formatter cannot escape the message, so this
// formatter builds the object with nlohmann::json, which does.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    line["ts"] = static_cast<double>(ms.count()) / 1000.0;
    line["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                spdlog::level::to_string_view(msg.level).size());
    std::string name(msg.logger_name.data(), msg.logger_name.size());
    auto slash = name.find('/');
    if (name != "weft" && !name.empty()) {
      line["pipeline"] = name.substr(0, slash);
      if (slash != std::string::npos) line["component"] = name.substr(slash + 1);
    }
    std::string_view text(msg.payload.data(), msg.payload.size());
    if (text.starts_with(event::kPrefix)) {  // "event=<name> <message>" (runtime/events.h)
      text.remove_prefix(event::kPrefix.size());
      const auto space = text.find(' ');
      line["event"] = std::string(text.substr(0, space));
      text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    }
    line["msg"] = std::string(text);
    std::string out = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.push_back('\n');
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

spdlog::sink_ptr& shared_sink() {
  static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

}  // namespace

Status configure_logging(const std::string& level, const std::string& format) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return Error::invalid_config("log.level: unknown level '" + level + "'");
  }
  if (format == "json") {
    shared_sink()->set_formatter(std::make_unique<JsonFormatter>());
  } else if (format == "text") {
    shared_sink()->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %-5l [%n] %v", spdlog::pattern_time_type::utc));
  } else {
    return Error::invalid_config("log.format: expected text or json, got '" + format + "'");
  }
  auto root = std::make_shared<spdlog::logger>("weft", shared_sink());
  root->set_level(parsed);
  spdlog::set_default_logger(root);
  spdlog::set_level(parsed);
  return {};
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_level(spdlog::get_level());
  return logger;
}

}  // namespace weft

#include "weft/settings.h"

#include <cstdlib>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace weft {
namespace {

const nlohmann::json& field(const nlohmann::json& values, const std::string& name) {
  auto it = values.find(name);
  if (it == values.end()) {
    // The loader fills every declared field or leaves an optional one out; asking for a field
    // that is absent means the connector forgot has() or declared no default.
    spdlog::critical("settings: field '{}' requested but not present", name);
    std::abort();
  }
  return *it;
}

}  // namespace

Settings::Settings() : values_(std::make_shared<const nlohmann::json>(nlohmann::json::object())) {}
Settings::Settings(nlohmann::json values)
    : values_(std::make_shared<const nlohmann::json>(std::move(values))) {}

bool Settings::has(const std::string& name) const {
  auto it = values_->find(name);
  return it != values_->end() && !it->is_null();
}
std::string Settings::string(const std::string& name) const {
  return field(*values_, name).get<std::string>();
}
std::int64_t Settings::integer(const std::string& name) const {
  return field(*values_, name).get<std::int64_t>();
}
double Settings::number(const std::string& name) const { return field(*values_, name).get<double>(); }
bool Settings::boolean(const std::string& name) const { return field(*values_, name).get<bool>(); }
std::chrono::milliseconds Settings::duration(const std::string& name) const {
  return std::chrono::milliseconds(field(*values_, name).get<std::int64_t>());
}
std::uint64_t Settings::size(const std::string& name) const {
  return field(*values_, name).get<std::uint64_t>();
}
std::vector<std::string> Settings::string_list(const std::string& name) const {
  return field(*values_, name).get<std::vector<std::string>>();
}
std::map<std::string, std::string> Settings::string_map(const std::string& name) const {
  return field(*values_, name).get<std::map<std::string, std::string>>();
}
Settings Settings::object(const std::string& name) const { return Settings(field(*values_, name)); }
const nlohmann::json& Settings::json() const { return *values_; }

}  // namespace weft

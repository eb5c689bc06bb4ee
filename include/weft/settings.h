#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace weft {

// A validated configuration block: every field present, typed and within range, defaults
// filled in, `${...}` already resolved. Built by the config loader from a ConfigSpec, so a
// connector's factory never sees malformed input; the getters assume the field exists and has
// the declared type (asking for an undeclared field is a programming error and aborts).
//
// Immutable and cheap to copy (shared). Thread-safe for reads.
class Settings {
 public:
  Settings();
  explicit Settings(nlohmann::json values);

  bool has(const std::string& name) const;  // false for optional fields with no default
  std::string string(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  bool boolean(const std::string& name) const;
  std::chrono::milliseconds duration(const std::string& name) const;
  std::uint64_t size(const std::string& name) const;
  std::vector<std::string> string_list(const std::string& name) const;
  std::map<std::string, std::string> string_map(const std::string& name) const;
  Settings object(const std::string& name) const;

  const nlohmann::json& json() const;

 private:
  std::shared_ptr<const nlohmann::json> values_;
};

}  // namespace weft

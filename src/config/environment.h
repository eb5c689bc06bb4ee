#pragma once

#include <functional>
#include <optional>
#include <string>

namespace weft {

// Where `${VAR}` and `${file:/path}` interpolation looks things up. The daemon uses the process
// environment and the file system; tests inject their own.
struct Environment {
  std::function<std::optional<std::string>(const std::string& name)> variable;
  std::function<std::optional<std::string>(const std::string& path)> file;  // nullopt: unreadable

  static Environment process();
};

}  // namespace weft

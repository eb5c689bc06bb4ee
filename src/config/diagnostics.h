#pragma once

#include <optional>
#include <string>
#include <vector>

namespace weft {

// One problem found in a configuration file, located precisely enough for an editor to jump
// to it. Formats as "pipelines/orders.yaml:12:5: error: <message> (hint: <hint>)".
struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem is the whole file (unreadable, empty)
  int column = 0;  // 1-based
  std::string message;
  std::string hint;  // optional: what the user probably meant or can do

  std::string format() const;
};

using Diagnostics = std::vector<Diagnostic>;

// A loaded configuration object, or every problem that prevented loading it.
template <typename T>
struct Loaded {
  std::optional<T> value;
  Diagnostics errors;
  bool ok() const { return value.has_value() && errors.empty(); }
};

}  // namespace weft

#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft {

// A path to one value inside a JSON document, in the subset of JSONPath that names a single
// value: `$` (the whole document), `$.data.object.id`, `$.items[0].sku`, `$['odd key']`,
// `$["odd key"]` (a backslash escapes the next character inside quotes). No wildcards, slices,
// filters or recursive descent: a key template needs exactly one value.
//
// Immutable after parse(); safe to share between threads.
class JsonPath {
 public:
  // invalid_config on bad syntax, naming the character (1-based). `offset` is where `text` sits
  // inside a larger string the user wrote (a template), so the position points into that.
  static Result<JsonPath> parse(std::string_view text, std::size_t offset = 0);

  // The value the path names inside `root`; the pointer points into `root`. A permanent Error
  // when it is absent or null, worded for a user: "field 'data.id' is missing ('data' is a
  // string, not an object)", "field 'data.id' is null".
  Result<const nlohmann::json*> find(const nlohmann::json& root) const;

  // The path as written.
  const std::string& text() const { return text_; }
  // The path without the leading `$`, as messages show it: "data.object.id", "items[0].sku".
  std::string display() const { return display(steps_.size()); }

 private:
  struct Step {
    std::string name;  // object key; used when !is_index
    std::size_t index = 0;
    bool is_index = false;
  };

  JsonPath() = default;
  std::string display(std::size_t steps) const;  // the first `steps` steps

  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace weft

#pragma once

#include <cstddef>
#include <optional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft {

// A path to one value inside a JSON document, in the subset of JSONPath that names a single
// value: `$` (the whole document), `$.data.object.id`, `$.items[0].sku`, `$['odd key']`,
// `$["odd key"]` (a backslash escapes the next character inside quotes). No slices, filters or
// recursive descent. Wildcards (`[*]` every array element, `.*` every object member) only when
// the caller allows them: a key template needs exactly one value, a mapping may collect many.
//
// Immutable after parse(); safe to share between threads.
class JsonPath {
 public:
  // invalid_config on bad syntax, naming the character (1-based). `offset` is where `text` sits
  // inside a larger string the user wrote (a template), so the position points into that.
  static Result<JsonPath> parse(std::string_view text, std::size_t offset = 0,
                                bool allow_wildcards = false);

  // The value the path names inside `root`; the pointer points into `root`. A permanent Error
  // when it is absent or null, worded for a user: "field 'data.id' is missing ('data' is a
  // string, not an object)", "field 'data.id' is null".
  Result<const nlohmann::json*> find(const nlohmann::json& root) const;

  // The value the path names, or nullptr when it is absent or null: find() without the message,
  // for hot paths. Not for paths with wildcards.
  const nlohmann::json* lookup(const nlohmann::json& root) const;

  // Appends every non-null value the path matches, in document order, to the array `out`.
  // Works for any path; one without wildcards matches at most one value.
  void collect(const nlohmann::json& root, nlohmann::json& out) const;

  bool has_wildcard() const { return has_wildcard_; }
  std::size_t step_count() const { return steps_.size(); }
  // The first step's object key ("data" for $.data.id); empty when the path starts otherwise.
  const std::string& first_name() const;
  // The object keys the path starts with, up to its first index or wildcard:
  // {"data", "object", "email"} for $.data.object.email, {"items"} for $.items[0].sku.
  std::vector<std::string> leading_names() const;

  // The same value as an RFC 6901 JSON Pointer ("/data/0/id"; "" for `$`), for parsers that
  // address values that way (simdjson); empty optional for a path with wildcards.
  std::optional<std::string> json_pointer() const;

  // The path as written.
  const std::string& text() const { return text_; }
  // The path without the leading `$`, as messages show it: "data.object.id", "items[0].sku".
  std::string display() const { return display(steps_.size()); }

 private:
  struct Step {
    std::string name;  // object key; used when !is_index
    std::size_t index = 0;
    bool is_index = false;
    bool is_wildcard = false;  // [*] or .*
  };

  JsonPath() = default;
  std::string display(std::size_t steps) const;  // the first `steps` steps
  void collect_from(const nlohmann::json& value, std::size_t step, nlohmann::json& out) const;

  std::string text_;
  std::vector<Step> steps_;
  bool has_wildcard_ = false;
};

}  // namespace weft

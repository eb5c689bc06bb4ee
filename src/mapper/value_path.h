#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "delivery/json_path.h"
#include "weft/record.h"
#include "weft/status.h"

namespace weft {

// Where a mapping or a condition reads a value (docs/mapping.md):
//   $.data.object.email      a JSON path into the record's value (JsonPath, wildcards allowed:
//   $.items[*].sku            `[*]` and `.*` collect every match into an array)
//   @before.email            the same into the before-image (CDC updates and deletes)
//   @key @id @op @position   the record's own fields (strings; @op is "create", "delete", ...)
//   @headers.table           a header; @headers['x-id'] for names with odd characters
//   @event_time              the event time as a timestamp string (absent when unset)
//
// Immutable after parse(); thread-safe.
class ValuePath {
 public:
  // invalid_config naming the text and the character (1-based, counted from `offset`).
  static Result<ValuePath> parse(std::string_view text, std::size_t offset = 0);

  // The value the path names, or nullptr when it is absent or JSON null. `value` is the JSON
  // the `$` paths read (usually record.value.json(); the mapped record for a route). The
  // pointer points into `value`, the record, or `scratch` (wildcard results and metadata are
  // built there); it stays valid while those do.
  const nlohmann::json* find(const Record& record, const nlohmann::json& value,
                             nlohmann::json& scratch) const;

  // The path as written.
  const std::string& text() const { return text_; }
  // The JSON path into the record's value, or nullptr for metadata and @before paths.
  const JsonPath* value_path() const { return root_ == Root::kValue ? &*path_ : nullptr; }
  // The top-level field of the record's value this path reads ("data" for $.data.object.id),
  // for schema-drift tracking; empty for metadata paths and `$` itself.
  const std::string& top_field() const { return top_field_; }

 private:
  enum class Root { kValue, kBefore, kKey, kId, kOp, kPosition, kHeader, kEventTime };
  ValuePath() = default;

  std::string text_;
  Root root_ = Root::kValue;
  std::optional<JsonPath> path_;  // for kValue and kBefore
  std::string header_;            // for kHeader
  std::string top_field_;
};

}  // namespace weft

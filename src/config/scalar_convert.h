#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "weft/config_spec.h"

namespace weft {

// The result of turning one resolved scalar into a field's JSON value.
struct Converted {
  std::optional<nlohmann::json> value;  // set on success
  std::string error;                    // "field 'rate': expected integer, got 'abc'"
  std::string hint;
};

// How a message names the type a field expects: "integer", "duration", "list of strings".
std::string expected_name(FieldType type);

// Converts `text` (already interpolated) to `field.type` and checks min/max and allowed values.
// Scalar types only (not kObject, kStringList, kStringMap). `path` is the dotted field name used
// in messages. For a secret field the text never appears in the error or hint.
//   kString, kEnum -> string     kInteger -> int64    kNumber -> double
//   kBoolean -> bool (exactly true or false: no yes/no/on/off, no capitals)
//   kDuration -> int64 ms        kSize -> uint64 bytes
Converted convert_scalar(const std::string& text, const FieldSpec& field, const std::string& path);

}  // namespace weft

#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft {

// The type of a canonical model field (docs/mapping.md). Values travel as JSON:
//   string     JSON string
//   int        JSON integer (64-bit)
//   float      JSON number
//   decimal    JSON string holding an exact decimal ("12.50"), so money never meets a double
//   bool       JSON boolean
//   timestamp  JSON string, ISO 8601 in UTC: "2026-11-27T10:31:02Z" (".123" added when the
//              value has milliseconds)
//   date       JSON string "2026-11-27"
//   json       any JSON value, unchecked
//   array<T>   JSON array whose elements are T
enum class ValueKind { kString, kInt, kFloat, kDecimal, kBool, kTimestamp, kDate, kJson, kArray };

struct ValueType {
  ValueKind kind = ValueKind::kJson;
  std::shared_ptr<const ValueType> element;  // set for kArray only

  // "string", "array<timestamp>", ...: how the user writes it.
  std::string name() const;
  bool operator==(const ValueType& other) const;
};

// Parses a type as written in a model: "string", "int", "array<string>", "array<array<int>>".
// invalid_config naming the text and listing the valid types otherwise.
Result<ValueType> parse_value_type(std::string_view text);

}  // namespace weft

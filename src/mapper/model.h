#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "mapper/coerce.h"
#include "mapper/value_type.h"

namespace weft {

// What happens to fields a canonical model does not declare (docs/mapping.md).
enum class UnmappedPolicy { kDrop, kKeep, kError };
const char* to_string(UnmappedPolicy policy);

// One rule a value broke, as the DLQ entry and `weft map` show it.
struct Violation {
  std::string field;    // "email", "address.city", "tags[2]"
  std::string rule;     // "required", "type timestamp", "enum", "pattern", "max_length",
                        // "fn lower", "crosswalk", "unmapped"
  std::string message;  // what is wrong, with the value (truncated; hidden for pii fields)
};

// "field 'email' [pattern]: 'bob' does not match '^[^@]+@[^@]+$'; field 'id' [required]: ...".
std::string describe(const std::vector<Violation>& violations);

struct ModelField {
  std::string name;                  // dotted for nested objects: "address.city"
  std::vector<std::string> segments;  // name split at the dots
  ValueType type;
  bool required = false;
  std::vector<nlohmann::json> allowed;  // enum; empty: any value
  std::string pattern_text;             // unanchored ECMAScript regex; empty: none
  std::optional<std::regex> pattern;
  std::optional<std::size_t> max_length;  // characters of a string
  std::string description;
  bool pii = false;  // personal data: never shown in errors, redacted by `weft tap`
};

// A canonical model (`models/customer.yaml`): the contract the mapped records must meet.
// Immutable once built; conform() is const and thread-safe.
struct CanonicalModel {
  std::string name;
  std::string version;
  std::string description;
  UnmappedPolicy unmapped = UnmappedPolicy::kDrop;
  std::vector<ModelField> fields;
  std::string file;  // where it was declared ("" for inline models)

  std::string ref() const { return name + "@" + version; }
  const ModelField* find(const std::string& name) const;

  // Makes `object` meet the model: coerces every declared field to its type, then checks
  // required, enum, pattern and max_length; handles undeclared top-level fields by the unmapped
  // policy. Appends what is wrong to `violations`; `object` is unusable when any was added.
  // `typed`: every declared field present already has its type (a map coerced it), so the
  // conversion is skipped.
  void conform(nlohmann::json& object, std::vector<Violation>& violations,
               bool typed = false) const;
};

// Reads the value at `segments` inside `object`; nullptr when absent or null.
const nlohmann::json* find_nested(const nlohmann::json& object,
                                  const std::vector<std::string>& segments);
// Sets the value at `segments`, creating objects on the way (replacing non-objects).
void set_nested(nlohmann::json& object, const std::vector<std::string>& segments,
                nlohmann::json value);
// "address.city" -> {"address", "city"}.
std::vector<std::string> split_dotted(const std::string& name);

}  // namespace weft

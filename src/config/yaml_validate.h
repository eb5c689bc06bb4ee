#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config/diagnostics.h"
#include "config/environment.h"
#include "config/yaml_document.h"
#include "weft/config_spec.h"

namespace weft {

// Shared state of one file's validation. Not thread-safe; one per file being loaded.
struct Validation {
  std::string file;        // labels every diagnostic
  const Environment* env;  // for ${...}; must outlive the Validation
  Diagnostics errors;      // every problem found, in the order found
  // Where each field's value was written, by dotted path ("batch.max_records"), so callers can
  // place their own checks (name pattern, listen address) on the right line.
  std::map<std::string, Location> locations;
};

// "field" or "parent.field".
std::string join_path(const std::string& parent, const std::string& name);

// Validates a YAML mapping against `fields` and returns the resulting JSON object: every
// present field converted to its type (durations in ms, sizes in bytes), absent optional fields
// filled from their defaults, absent optional fields without a default left out. `node` may be
// null (an absent or empty block), which validates like an empty mapping.
//
// Every problem is appended to `v.errors`; validation continues past errors so one run reports
// them all. `path` is the dotted prefix for messages ("" at the top level). Keys listed in
// `handled` are skipped (the caller validates them) but are known for "did you mean" hints.
// `at` is where the mapping is, for "missing required field" errors.
nlohmann::json validate_mapping(const YAML::Node& node, const std::vector<FieldSpec>& fields,
                                const std::string& path, Location at,
                                const std::vector<std::string>& handled, Validation& v);

// Converts one value (interpolation, then type and range checks) for `field`. `key_at` is used
// for values that carry no useful position (empty values). Appends to `v.errors` and returns
// nullopt on failure. Secret fields never have their value in a diagnostic.
std::optional<nlohmann::json> validate_value(const YAML::Node& value, const FieldSpec& field,
                                             const std::string& path, Location key_at,
                                             Validation& v);

}  // namespace weft

#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "weft/config_spec.h"

namespace weft {

// The text that replaces a secret value wherever configuration is shown.
inline constexpr const char* kRedacted = "***";

// `values` (a validated settings object) with the value of every secret field in `fields`
// replaced by kRedacted, recursing into kObject fields. Keys that `fields` does not describe
// are kept as they are.
nlohmann::json redact(const nlohmann::json& values, const std::vector<FieldSpec>& fields);

}  // namespace weft

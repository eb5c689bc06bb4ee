#pragma once

#include <string_view>

namespace weft {

// Whether `name` may name a pipeline: 1 to 63 characters, lowercase letters, digits, '_' and
// '-', starting with a letter or digit (it appears in metric labels, URLs and state keys).
bool valid_pipeline_name(std::string_view name);

// What to tell a user whose name is not valid.
inline constexpr const char* kPipelineNameHint =
    "use 1 to 63 characters: lowercase letters, digits, '_' and '-', starting with a letter or "
    "digit";

}  // namespace weft

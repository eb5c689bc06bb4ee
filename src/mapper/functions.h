#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft {

// The mapping functions (docs/mapping.md), applied in order to a field's value:
//   trim               strips leading and trailing whitespace
//   lower, upper       ASCII case (other characters unchanged)
//   replace(a, b)      every occurrence of the text a by b (literal text, not a pattern)
//   split(sep)         string -> array of strings ("" gives [])
//   join(sep)          array -> string; elements that are not strings as their JSON text
//   concat(x, ...)     the value followed by each argument, as text (null counts as "")
//   substr(start[, n]) n characters (code points) from start (0-based); negative start counts
//                      from the end; past the end gives ""
//   hash               lowercase hex SHA-256 of the text (of the compact JSON for non-strings)
//   to_string          strings unchanged; numbers and booleans as JSON text; objects and
//                      arrays as compact JSON; null as ""
//   round([digits])    a number rounded half away from zero; with digits 0 (the default) the
//                      result is an integer
//   now                the current time as a timestamp ("2026-11-27T10:31:02.123Z", see
//                      format_timestamp); ignores the value
//   uuid_v5([ns])      name-based UUID of the value's text in namespace ns (a UUID; default
//                      weft's namespace), so one input always gives one id
//
// Null passes through every function unchanged except concat, to_string and now, so an optional
// field that is absent stays absent (and `default` can fill it). The string functions (trim,
// lower, upper, replace, substr, hash, uuid_v5, split) applied to an array apply to each element.
enum class Function {
  kTrim, kLower, kUpper, kReplace, kSplit, kJoin, kConcat, kSubstr, kHash, kToString, kRound,
  kNow, kUuidV5,
};

// Looks up a function by name and checks how many arguments it gets. invalid_config otherwise:
// "unknown function 'lowr' (did you mean 'lower'?); functions: trim, lower, ...",
// "replace takes 2 arguments (replace(a, b)), got 1".
Result<Function> find_function(std::string_view name, std::size_t arg_count);

const char* to_string(Function f);

// What a call may need besides its arguments. `now` is injected so tests are deterministic.
struct FunctionContext {
  std::chrono::system_clock::time_point now;
};

// Applies `f` to `input` with `args` (already evaluated: literals, or values read from the
// record). A permanent Error when the value or an argument has the wrong type, naming the
// function and the value (truncated): "lower: expected a string, got 42",
// "round: expected a number, got 'abc'", "uuid_v5: namespace 'x' is not a UUID".
Result<nlohmann::json> call_function(Function f, const nlohmann::json& input,
                                     const std::vector<nlohmann::json>& args,
                                     const FunctionContext& context);

}  // namespace weft

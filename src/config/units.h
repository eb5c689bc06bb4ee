#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "weft/config_spec.h"

namespace weft {

// Text forms of durations and sizes as users write them in YAML. Pure functions, no I/O.

// "250ms", "5s", "1m", "7d" and combinations in decreasing unit order ("1m30s", "1h5m").
// Units: ms, s, m, h, d. A bare integer has no unit and is rejected. Returns nullopt on bad
// syntax or when the total does not fit in int64 milliseconds.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

// "512" (bytes) or an integer with B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of
// 1024). Units are case-sensitive. Returns nullopt on bad syntax or overflow.
std::optional<std::uint64_t> parse_size_bytes(std::string_view text);

// The shortest exact spelling: 90000 -> "1m30s", 250 -> "250ms", 0 -> "0ms".
std::string format_duration_ms(std::int64_t ms);

// An exact binary or decimal unit when one divides evenly: 65536 -> "64KiB", 10000000 ->
// "10MB"; otherwise bytes: 1500 -> "1500B".
std::string format_size_bytes(std::uint64_t bytes);

// A spec bound (FieldSpec::min_value / max_value) in the field's own units: durations and sizes
// as above, integral numbers without a decimal point.
std::string format_bound(FieldType type, double bound);

}  // namespace weft

#pragma once

// Points in time as operators type them for the dead-letter queue (`--since`, `--before`, the
// admin API's `since` and `before`). Pure functions, no I/O; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "weft/record.h"

namespace weft::admin {

// RFC 3339: "2026-11-27T10:00:00Z", "2026-11-27T10:00:00.250+01:00" ('t', 'z' and a space for
// 'T' accepted). Fractions beyond milliseconds are truncated. nullopt on bad syntax or an
// impossible date or time.
std::optional<Clock::time_point> parse_rfc3339(std::string_view text);

// An RFC 3339 time, or a duration ("1h", "30m", "7d", "1h30m"; see parse_duration_ms) meaning
// that long before `now`. A duration reaching back before 1970 gives 1970-01-01T00:00:00Z.
std::optional<Clock::time_point> parse_time_or_ago(std::string_view text, Clock::time_point now);

// UTC with milliseconds: "2026-11-27T10:00:00.000Z". parse_rfc3339 reads it back exactly.
std::string format_rfc3339(Clock::time_point time);

// What parse_time_or_ago accepts, for error messages.
inline constexpr std::string_view kTimeSyntaxHint =
    "an RFC 3339 time (2026-11-27T10:00:00Z) or a duration ago (30m, 1h, 7d)";

}  // namespace weft::admin

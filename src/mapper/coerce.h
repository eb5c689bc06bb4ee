#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "mapper/value_type.h"
#include "weft/status.h"

namespace weft {

// How to read numbers as timestamps: unix seconds, milliseconds, microseconds, or guess from the
// magnitude (|n| >= 1e14: microseconds, >= 1e11: milliseconds, else seconds).
enum class EpochUnit { kAuto, kSeconds, kMillis, kMicros };

struct CoerceOptions {
  // strftime-style input format for timestamps and dates given as strings ("%d/%m/%Y %H:%M"),
  // read with strptime (so no fractional seconds; %z reads an offset), tried before the
  // built-in formats. Empty: built-in formats only.
  std::string format;
  EpochUnit epoch_unit = EpochUnit::kAuto;
};

// Converts `value` to `type`, the way a mapping lands a source value in a canonical field:
//   int/float   from numbers and numeric strings (" 42 ", "-1.5e3"); a float with a fraction
//               is not an int
//   decimal     from numbers (shortest round-trip text) and decimal strings ("-12.50", kept as
//               written, trimmed)
//   bool        from booleans, 0/1, and the strings true/false/yes/no/1/0/on/off (any case)
//   string      from strings, numbers and booleans (their JSON text)
//   timestamp   from unix seconds/millis/micros (numbers or numeric strings), ISO 8601 / RFC 3339
//               with any offset ("2026-11-27T10:31:02.5+01:00", "2026-11-27 10:31:02",
//               "2026-11-27"), RFC 1123 ("Fri, 27 Nov 2026 10:31:02 GMT") and `options.format`;
//               the result is normalised to UTC ("...Z"); years 0001-9999
//   date        from anything a timestamp accepts, keeping the UTC date
//   json        anything, unchanged
//   array<T>    from arrays, each element coerced (the error names the index)
// JSON null stays null for every type (whether null is allowed is the model's `required`).
//
// On failure a permanent Error that says what the value is and what was expected, with the
// value truncated to 64 characters: "'31/02/2026' is not a valid timestamp",
// "'abc' is not an int", "element [2]: 'x' is not a float".
Result<nlohmann::json> coerce(const nlohmann::json& value, const ValueType& type,
                              const CoerceOptions& options = {});

// Parses any timestamp coerce() accepts into a UTC time point (millisecond precision kept).
// nullopt when it is not one, or is outside a time_point's range (about 1678-2261).
std::optional<std::chrono::system_clock::time_point> parse_timestamp(
    const nlohmann::json& value, const CoerceOptions& options = {});

// "2026-11-27T10:31:02Z", or "2026-11-27T10:31:02.123Z" when there are milliseconds.
std::string format_timestamp(std::chrono::system_clock::time_point t);

// `value` for a message: strings quoted with single quotes, other JSON compact, cut to
// `max_chars` characters with "..." appended when longer.
std::string describe_value(const nlohmann::json& value, std::size_t max_chars = 64);

}  // namespace weft

#pragma once

// Postgres values (text output format) as JSON. The replication stream and the snapshot both
// deliver column values as text; this turns each into the JSON a user expects:
//   int2/int4/int8/oid -> number; numeric/money -> string (exact, never rounded through double);
//   float4/float8 -> number ("NaN"/"Infinity" -> string); bool -> true/false;
//   text/varchar/bpchar/name/char/uuid/enums/unknown -> string; json/jsonb -> the JSON itself;
//   timestamp -> "2024-01-02T03:04:05.123456"; timestamptz -> "2024-01-02T03:04:05.123456Z"
//   (the session runs with TimeZone=UTC, DateStyle=ISO); date/time/timetz/interval -> string
//   as printed; bytea ("\x..." hex output) -> base64 string; arrays of any of the above
//   (one or more dimensions, quoted elements, NULL) -> JSON arrays (non-default lower bounds,
//   "[0:1]={...}", are dropped). Strings: invalid UTF-8 bytes become U+FFFD.

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::pgcdc {

// Appends `text`, a value of type `type_oid` in Postgres's text output format, to `out` as
// JSON. Never fails: text it cannot interpret for the type is appended as a JSON string.
void append_json_value(std::string& out, std::uint32_t type_oid, std::string_view text);

// Appends `text` as a JSON string literal (quotes and escapes added).
void append_json_string(std::string& out, std::string_view text);

// The built-in type's name ("int4", "timestamptz", "_text" for text[]), or "" when the OID is
// not a built-in type this module knows (a user-defined enum or domain: the pgoutput Type
// message names those).
std::string_view builtin_type_name(std::uint32_t type_oid);

}  // namespace weft::pgcdc

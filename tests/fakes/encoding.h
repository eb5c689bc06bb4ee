#pragma once

// The encodings the fake REST API speaks: UTC times in the formats its APIs use, base64 (for
// Basic auth and cursor tokens), percent-encoding for the links it builds, JSON strings, and gzip.
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::fakes {

// Appends 1700000000 as "2023-11-14T22:13:20Z".
void append_iso8601(std::string& out, std::int64_t epoch_seconds);
// Appends 1700000000 as "2023-11-14 22:13:20" (ServiceNow's sys_updated_on, UTC).
void append_servicenow_time(std::string& out, std::int64_t epoch_seconds);
std::string iso8601(std::int64_t epoch_seconds);
std::string servicenow_time(std::int64_t epoch_seconds);

// Epoch seconds of "2023-11-14T22:13:20Z", "2023-11-14 22:13:20", "2023-11-14T22:13:20.5+01:00"
// (no offset means UTC; a fraction rounds up, so ">= since" keeps its meaning), "2023-11-14",
// or plain digits taken as epoch seconds. nullopt when the text is none of these.
std::optional<std::int64_t> parse_time(std::string_view text);

// Standard base64 with padding, or the URL-safe alphabet without padding.
std::string base64_encode(std::string_view bytes, bool url_safe = false);
// Decodes either alphabet, padding optional; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);

// Percent-encodes all but RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);

// Appends `text` as a quoted JSON string, escaping what JSON requires.
void append_json_string(std::string& out, std::string_view text);

// Appends the decimal digits of `value`.
void append_int(std::string& out, std::int64_t value);

// `body` as a gzip member (zlib, fastest level: the fake's hot path). Empty on failure.
std::string gzip_compress(std::string_view body);

}  // namespace weft::fakes

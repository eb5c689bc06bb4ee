#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace weft {

// RFC 4122 UUIDs as lowercase hyphenated text ("6ba7b810-9dad-11d1-80b4-00c04fd430c8").

// The namespace weft mints canonical ids in (a fixed, random v4 UUID).
inline constexpr std::string_view kWeftNamespace = "0b6e5bd4-5f2c-4a52-9f0c-9d1e8f3a7c21";

// Name-based UUID (version 5, SHA-1) of `name` in `namespace_uuid`; the same inputs always give
// the same UUID. nullopt when `namespace_uuid` is not a UUID.
std::optional<std::string> uuid_v5(std::string_view namespace_uuid, std::string_view name);

// Random UUID (version 4) from OpenSSL's CSPRNG.
std::string uuid_v4();

// Whether `text` is a hyphenated UUID (any version, either case).
bool is_uuid(std::string_view text);

}  // namespace weft

#pragma once

// ASCII text helpers for protocol and config text (header names, units, keywords). Not for
// user-facing Unicode text: they only know the C locale's spaces and letters.

#include <string>
#include <string_view>

namespace weft {

bool is_space(char c);
char to_lower(char c);
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
// Without leading and trailing spaces, tabs and line breaks.
std::string_view trim(std::string_view text);
// Equal ignoring ASCII case ("Content-Length" == "content-length").
bool iequals(std::string_view a, std::string_view b);

}  // namespace weft

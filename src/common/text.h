#pragma once

// ASCII text helpers for protocol and config text (header names, units, keywords). Not for
// user-facing Unicode text: they only know the C locale's spaces and letters.

#include <charconv>
#include <optional>
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

// `text` as a number of type T when all of it is one ("42", "-1.5"; not " 42", "42x" or "");
// nullopt otherwise.
template <typename T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace weft

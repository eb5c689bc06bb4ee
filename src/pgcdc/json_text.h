#pragma once

// JSON syntax checks for the value conversion (pg_value.cc): text that is copied into the output
// as it is must already be JSON that weft's readers (nlohmann, simdjson) accept. Pure functions,
// no allocation, thread-safe.

#include <cstddef>
#include <string_view>

namespace weft::pgcdc {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// 0-15 for a hex digit of either case, -1 otherwise.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}


// An RFC 8259 number that is also finite as a double: RFC 8259 allows 1e400 (and jsonb's
// numeric prints such values), but nlohmann and simdjson reject it.
bool is_json_number(std::string_view text);

// True when `text` is exactly one RFC 8259 value, optionally surrounded by whitespace, whose
// strings are well-formed UTF-8 with valid escapes (surrogates paired), whose numbers pass
// is_json_number and whose nesting is at most 1024 deep (deeper documents count as invalid;
// Postgres's own limit is its stack depth, which real documents do not approach).
bool is_valid_json(std::string_view text);

}  // namespace weft::pgcdc

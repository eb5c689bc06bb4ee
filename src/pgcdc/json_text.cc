#include "common/utf8.h"
#include "pgcdc/json_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <system_error>

namespace weft::pgcdc {
namespace {

using Byte = const unsigned char*;

void skip_ws(Byte& p, Byte end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
}

bool read_hex4(Byte& p, Byte end, unsigned& value) {
  if (end - p < 4) return false;
  value = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = hex_value(static_cast<char>(p[i]));
    if (d < 0) return false;
    value = (value << 4) | static_cast<unsigned>(d);
  }
  p += 4;
  return true;
}

// A string starting at the opening quote; escapes and UTF-8 well-formed, \u surrogates paired.
bool skip_json_string(Byte& p, Byte end) {
  ++p;
  while (p < end) {
    const unsigned char c = *p;
    if (c == '"') {
      ++p;
      return true;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) {
      const auto n = utf8_length(p, end);
      if (n == 0) return false;
      p += n;
      continue;
    }
    ++p;
    if (c != '\\') continue;
    if (p == end) return false;
    const unsigned char e = *p++;
    if (e == 'u') {
      unsigned cp;
      if (!read_hex4(p, end, cp)) return false;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned low;
        if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return false;
        p += 2;
        if (!read_hex4(p, end, low) || low < 0xDC00 || low > 0xDFFF) return false;
      }
    } else if (std::string_view("\"\\/bfnrt").find(static_cast<char>(e)) ==
               std::string_view::npos) {
      return false;
    }
  }
  return false;
}

bool skip_json_scalar(Byte& p, Byte end) {
  if (*p == '"') return skip_json_string(p, end);
  for (const std::string_view literal : {"true", "false", "null"}) {
    if (static_cast<std::size_t>(end - p) >= literal.size() &&
        std::equal(literal.begin(), literal.end(), p)) {
      p += literal.size();
      return true;
    }
  }
  const Byte start = p;
  while (p < end && (is_digit(static_cast<char>(*p)) || *p == '-' || *p == '+' || *p == '.' ||
                     *p == 'e' || *p == 'E')) {
    ++p;
  }
  return is_json_number(
      std::string_view(reinterpret_cast<const char*>(start), static_cast<std::size_t>(p - start)));
}

bool skip_object_key(Byte& p, Byte end) {
  skip_ws(p, end);
  if (p == end || *p != '"' || !skip_json_string(p, end)) return false;
  skip_ws(p, end);
  if (p == end || *p != ':') return false;
  ++p;
  return true;
}

constexpr int kMaxJsonDepth = 1024;

}  // namespace

bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < n && is_digit(s[i])) ++i;
    return i - start;
  };
  if (i < n && s[i] == '-') ++i;
  long magnitude = 0;  // the value is below 10^magnitude
  if (i < n && s[i] == '0') {
    ++i;
  } else if ((magnitude = static_cast<long>(digits())) == 0) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    const bool negative = i < n && s[i] == '-';
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    long exponent = 0;
    const std::size_t start = i;
    for (; i < n && is_digit(s[i]); ++i)
      exponent = std::min(exponent * 10 + (s[i] - '0'), 100'000L);
    if (i == start) return false;
    magnitude += negative ? -exponent : exponent;
  }
  if (i != n) return false;
  if (magnitude <= 308) return true;  // below 1e308 < DBL_MAX; underflow to 0 is accepted
  double value;
  return std::from_chars(s.data(), s.data() + n, value).ec == std::errc();
}

// Containers are tracked in a bit stack (1 = object), so nothing is allocated.
bool is_valid_json(std::string_view text) {
  Byte p = reinterpret_cast<Byte>(text.data());
  const Byte end = p + text.size();
  std::array<std::uint64_t, kMaxJsonDepth / 64> is_object{};
  int depth = 0;
  const auto top_is_object = [&] {
    return (is_object[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
  };
  for (;;) {
    // A value is expected at p.
    skip_ws(p, end);
    if (p == end) return false;
    if (*p == '{' || *p == '[') {
      if (depth == kMaxJsonDepth) return false;
      const bool object = *p == '{';
      auto& word = is_object[depth / 64];
      const auto bit = std::uint64_t{1} << (depth % 64);
      word = object ? (word | bit) : (word & ~bit);
      ++depth;
      ++p;
      skip_ws(p, end);
      if (p < end && *p == (object ? '}' : ']')) {
        ++p;
        --depth;
      } else {
        if (object && !skip_object_key(p, end)) return false;
        continue;
      }
    } else if (!skip_json_scalar(p, end)) {
      return false;
    }
    // After a value: close containers until a ',' asks for the next value.
    for (;;) {
      skip_ws(p, end);
      if (depth == 0) return p == end;
      if (p == end) return false;
      const bool object = top_is_object();
      if (*p == ',') {
        ++p;
        if (object && !skip_object_key(p, end)) return false;
        break;
      }
      if (*p != (object ? '}' : ']')) return false;
      ++p;
      --depth;
    }
  }
}

}  // namespace weft::pgcdc

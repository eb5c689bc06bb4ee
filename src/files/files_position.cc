#include "files/files_position.h"

#include <charconv>
#include <limits>

namespace weft::files {
namespace {

// Parses the unsigned number at text[at..] up to `stop`; advances `at` past the stop character.
std::optional<std::uint64_t> number_until(const std::string& text, std::size_t& at, char stop) {
  const auto end = text.find(stop, at);
  if (end == std::string::npos || end == at) return std::nullopt;
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + end, value);
  if (ec != std::errc() || ptr != text.data() + end) return std::nullopt;
  at = end + 1;
  return value;
}

}  // namespace

std::string FilePosition::encode() const { return format(ordinal, line, end, etag, key); }

std::string FilePosition::format(std::uint64_t ordinal, std::uint64_t line, bool end,
                                 std::string_view etag, std::string_view key) {
  // One allocation: this runs for every record the source emits.
  char numbers[3 * std::numeric_limits<std::uint64_t>::digits10 + 8];
  char* at = numbers;
  const auto put = [&at, &numbers](std::uint64_t n) {
    at = std::to_chars(at, numbers + sizeof numbers, n).ptr;
    *at++ = ':';
  };
  put(ordinal);
  put(line);
  *at++ = end ? 'e' : 'm';
  *at++ = ':';
  put(etag.size());
  std::string out;
  out.reserve(static_cast<std::size_t>(at - numbers) + etag.size() + key.size());
  out.append(numbers, at);
  out += etag;
  out += key;
  return out;
}

std::optional<FilePosition> FilePosition::decode(const std::string& text) {
  FilePosition out;
  std::size_t at = 0;
  auto ordinal = number_until(text, at, ':');
  if (!ordinal) return std::nullopt;
  out.ordinal = *ordinal;
  auto line = number_until(text, at, ':');
  if (!line || at + 2 > text.size() || text[at + 1] != ':') return std::nullopt;
  if (text[at] != 'e' && text[at] != 'm') return std::nullopt;
  out.line = *line;
  out.end = text[at] == 'e';
  at += 2;
  auto etag_length = number_until(text, at, ':');
  if (!etag_length || *etag_length > text.size() - at) return std::nullopt;
  out.etag = text.substr(at, *etag_length);
  out.key = text.substr(at + *etag_length);
  if (out.key.empty()) return std::nullopt;
  return out;
}

}  // namespace weft::files

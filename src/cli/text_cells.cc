#include "cli/text_cells.h"

#include <algorithm>

namespace weft::cli {
namespace {

bool starts_code_point(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

// The byte length of the first `count` code points of `text`.
std::size_t prefix_bytes(std::string_view text, std::size_t count) {
  std::size_t shown = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (starts_code_point(text[i]) && shown++ == count) return i;
  }
  return text.size();
}

}  // namespace

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), starts_code_point));
}

std::string fit(std::string text, std::size_t width) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  if (display_width(text) <= width) return text;
  if (width < 4) return text.substr(0, prefix_bytes(text, width));
  return text.substr(0, prefix_bytes(text, width - 3)) + "...";
}

std::string pad_right(const std::string& text, std::size_t width) {
  return text + std::string(width - std::min(width, display_width(text)), ' ');
}

std::string pad_left(const std::string& text, std::size_t width) {
  return std::string(width - std::min(width, display_width(text)), ' ') + text;
}

}  // namespace weft::cli

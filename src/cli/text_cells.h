#pragma once

// Cells of the CLI's aligned text tables (`weft dlq list`, `weft status`, `weft top`). Pure;
// thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace weft::cli {

// Code points, which is what a terminal shows for the text in these tables.
std::size_t display_width(std::string_view text);

// One line (control characters, ESC included, become spaces) of at most `width` code points,
// ending in "..." when cut. `width` below 4 keeps the first `width` code points.
std::string fit(std::string text, std::size_t width);

// `text` followed by spaces up to `width` code points (unchanged when already wider).
std::string pad_right(const std::string& text, std::size_t width);
// Spaces up to `width` code points followed by `text` (unchanged when already wider).
std::string pad_left(const std::string& text, std::size_t width);

}  // namespace weft::cli

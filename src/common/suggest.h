#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

// Typo distance between two words: insertions, deletions, substitutions and swaps of adjacent
// characters each cost 1 (optimal string alignment). Case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo (a third of the
// word's length, at least 1 and at most 3 edits); nullopt otherwise. Ties keep the first.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// "a, b, c".
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace weft

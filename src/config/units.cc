#include "config/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace weft {
namespace {

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

// Longest suffix first where one is a prefix of another ("ms" before "m").
constexpr std::array<Unit, 5> kDurationUnits{{
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

constexpr std::array<Unit, 7> kSizeUnits{{{"GiB", 1ULL << 30},
                                          {"MiB", 1ULL << 20},
                                          {"KiB", 1ULL << 10},
                                          {"GB", 1'000'000'000},
                                          {"MB", 1'000'000},
                                          {"KB", 1'000},
                                          {"B", 1}}};

// Reads the leading decimal digits of `text`; nullopt when there are none or they overflow.
std::optional<std::uint64_t> leading_number(std::string_view& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

bool mul_add(std::uint64_t& total, std::uint64_t value, std::uint64_t factor,
             std::uint64_t limit) {
  if (value != 0 && factor > limit / value) return false;
  const std::uint64_t part = value * factor;
  if (part > limit - total) return false;
  total += part;
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  constexpr auto kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (text.empty()) return std::nullopt;
  std::uint64_t total = 0;
  std::size_t next_unit = 0;  // index into kDurationUnits: units must strictly decrease
  while (!text.empty()) {
    auto value = leading_number(text);
    if (!value) return std::nullopt;
    // "ms" must win over "m"; scan for the longest suffix at this position.
    std::optional<std::size_t> unit;
    for (std::size_t i = 0; i < kDurationUnits.size(); ++i) {
      const auto suffix = kDurationUnits[i].suffix;
      if (text.substr(0, suffix.size()) != suffix) continue;
      if (!unit || suffix.size() > kDurationUnits[*unit].suffix.size()) unit = i;
    }
    if (!unit || *unit < next_unit) return std::nullopt;
    text.remove_prefix(kDurationUnits[*unit].suffix.size());
    if (!mul_add(total, *value, kDurationUnits[*unit].factor, kLimit)) return std::nullopt;
    next_unit = *unit + 1;
  }
  return static_cast<std::int64_t>(total);
}

std::optional<std::uint64_t> parse_size_bytes(std::string_view text) {
  auto value = leading_number(text);
  if (!value) return std::nullopt;
  if (text.empty()) return value;
  for (const auto& unit : kSizeUnits) {
    if (text != unit.suffix) continue;
    std::uint64_t total = 0;
    if (!mul_add(total, *value, unit.factor, std::numeric_limits<std::uint64_t>::max())) {
      return std::nullopt;
    }
    return total;
  }
  return std::nullopt;
}

std::string format_duration_ms(std::int64_t ms) {
  if (ms <= 0) return std::to_string(ms) + "ms";
  std::string out;
  auto rest = static_cast<std::uint64_t>(ms);
  for (const auto& unit : kDurationUnits) {
    if (rest >= unit.factor) {
      out += std::to_string(rest / unit.factor);
      out += unit.suffix;
      rest %= unit.factor;
    }
  }
  return out;
}

std::string format_size_bytes(std::uint64_t bytes) {
  for (const auto& unit : kSizeUnits) {
    if (bytes != 0 && bytes % unit.factor == 0) {
      return std::to_string(bytes / unit.factor) + std::string(unit.suffix);
    }
  }
  return std::to_string(bytes) + "B";
}

std::string format_bound(FieldType type, double bound) {
  const bool integral = std::isfinite(bound) && bound == std::floor(bound) &&
                        std::fabs(bound) < 9.0e18;
  if (type == FieldType::kDuration && integral) {
    return format_duration_ms(static_cast<std::int64_t>(bound));
  }
  if (type == FieldType::kSize && integral && bound >= 0) {
    return format_size_bytes(static_cast<std::uint64_t>(bound));
  }
  if (integral) return std::to_string(static_cast<std::int64_t>(bound));
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), bound);
  return ec == std::errc() ? std::string(buf.data(), end) : std::to_string(bound);
}

}  // namespace weft

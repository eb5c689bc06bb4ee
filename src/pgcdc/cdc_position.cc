#include "pgcdc/cdc_position.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace weft::pgcdc {
namespace {

constexpr std::string_view kStreamPrefix = "lsn:";
constexpr std::string_view kSnapshotPrefix = "snapshot:";

}  // namespace

Position format_position(const StreamPoint& point) {
  return std::string(kStreamPrefix) + format_lsn(point.commit_lsn) + ":" +
         std::to_string(point.seq);
}

Position format_position(const SnapshotPoint& point) {
  return std::string(kSnapshotPrefix) + point.table + ":" + nlohmann::json(point.key_values).dump();
}

std::optional<CdcPosition> parse_position(const Position& position) {
  std::string_view text = position;
  if (text.starts_with(kStreamPrefix)) {
    text.remove_prefix(kStreamPrefix.size());
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto lsn = parse_lsn(text.substr(0, colon));
    std::uint64_t seq = 0;
    const auto digits = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (!lsn || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return StreamPoint{*lsn, seq};
  }
  if (text.starts_with(kSnapshotPrefix)) {
    text.remove_prefix(kSnapshotPrefix.size());
    // The key is a JSON array right after the table name's colon.
    const auto colon = text.find(":[");
    if (colon == std::string_view::npos) return std::nullopt;
    SnapshotPoint point;
    point.table = std::string(text.substr(0, colon));
    auto key = nlohmann::json::parse(text.substr(colon + 1), nullptr, /*allow_exceptions=*/false);
    if (!key.is_array()) return std::nullopt;
    for (const auto& v : key) {
      if (!v.is_string()) return std::nullopt;
      point.key_values.push_back(v.get<std::string>());
    }
    return point;
  }
  return std::nullopt;
}

}  // namespace weft::pgcdc

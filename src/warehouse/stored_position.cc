#include "warehouse/stored_position.h"

#include <string_view>

#include <nlohmann/json.hpp>

namespace weft::warehouse {

std::string HeldPosition::applied_text() const {
  return nlohmann::json(applied).dump();
}

Result<std::set<Position>> HeldPosition::parse_applied(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) {
    return Error::permanent("the checkpoint row's list of loaded records is not a JSON array");
  }
  std::set<Position> out;
  for (const auto& p : parsed) {
    if (!p.is_string()) return Error::permanent("the checkpoint row lists a non-text position");
    out.insert(p.get<std::string>());
  }
  return out;
}

void StoredPosition::restore(HeldPosition held) {
  unseen_ = held.applied;
  held_ = std::move(held);
}

bool StoredPosition::already_loaded(const Position& position) const {
  return !position.empty() && unseen_.contains(position);
}

void StoredPosition::loaded(HeldPosition row, const std::vector<const Position*>& positions) {
  held_ = std::move(row);
  for (const Position* p : positions) unseen_.erase(*p);
}

HeldPosition StoredPosition::after_load(const std::vector<const Position*>& positions,
                                        const std::vector<bool>& rejected) const {
  HeldPosition row = held_;
  std::size_t first_rejected = positions.size();
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (rejected[i] && !positions[i]->empty()) {
      first_rejected = i;
      break;
    }
  }
  // Moves the position to the last positioned record before the first rejected one; when
  // that is a new position, the records listed as loaded beyond the old one are behind it.
  for (std::size_t i = first_rejected; i-- > 0;) {
    if (positions[i]->empty()) continue;
    row.position = *positions[i];
    row.applied.clear();
    break;
  }
  for (std::size_t i = first_rejected; i < positions.size(); ++i) {
    if (!rejected[i] && !positions[i]->empty()) row.applied.insert(*positions[i]);
  }
  // Records loaded before a restart that this batch did not reach yet (after a restart only:
  // the set of the batch's positions is not built for nothing).
  if (unseen_.empty()) return row;
  std::set<std::string_view> in_batch;
  for (const Position* p : positions) in_batch.insert(*p);
  for (const auto& p : unseen_) {
    if (!in_batch.contains(p)) row.applied.insert(p);
  }
  return row;
}

HeldPosition StoredPosition::after_commit(const Position& position) const {
  if (held_.position == position) return held_;
  HeldPosition row;
  row.position = position;
  row.applied = unseen_;
  return row;
}

}  // namespace weft::warehouse

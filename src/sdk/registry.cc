#include "weft/registry.h"

namespace weft {

void Registry::add(ConnectorInfo info) { connectors_.push_back(std::move(info)); }

const ConnectorInfo* Registry::find(ConnectorKind kind, const std::string& type) const {
  for (const auto& c : connectors_) {
    if (c.kind == kind && c.type == type) return &c;
  }
  return nullptr;
}

std::vector<std::string> Registry::types(ConnectorKind kind) const {
  std::vector<std::string> out;
  for (const auto& c : connectors_) {
    if (c.kind == kind) out.push_back(c.type);
  }
  return out;
}

}  // namespace weft

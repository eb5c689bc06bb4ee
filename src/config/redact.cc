#include "config/redact.h"

namespace weft {

nlohmann::json redact(const nlohmann::json& values, const std::vector<FieldSpec>& fields) {
  if (!values.is_object()) return values;
  nlohmann::json out = values;
  for (const auto& field : fields) {
    auto it = out.find(field.name);
    if (it == out.end()) continue;
    if (field.is_secret) {
      *it = kRedacted;
    } else if (field.type == FieldType::kObject) {
      *it = redact(*it, field.fields);
    } else if (field.type == FieldType::kObjectMap && it->is_object()) {
      for (auto& item : it->items()) item.value() = redact(item.value(), field.fields);
    }
  }
  return out;
}

}  // namespace weft

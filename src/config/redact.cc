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
    }
  }
  return out;
}

}  // namespace weft

#include "mapper/model.h"

#include <algorithm>

namespace weft {
namespace {

// Characters (UTF-8 code points) in `text`.
std::size_t code_points(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string shown(const ModelField& field, const nlohmann::json& value) {
  return field.pii ? "(value hidden: pii)" : describe_value(value);
}

std::string enum_text(const std::vector<nlohmann::json>& allowed) {
  std::string out;
  for (const auto& v : allowed) {
    if (!out.empty()) out += ", ";
    out += describe_value(v);
  }
  return out;
}

void check_field(const ModelField& field, nlohmann::json& object, bool typed,
                 std::vector<Violation>& violations) {
  auto add = [&](std::string rule, std::string message) {
    violations.push_back(Violation{field.name, std::move(rule), std::move(message)});
  };
  nlohmann::json* slot = &object;
  for (const auto& segment : field.segments) {
    if (!slot->is_object()) {
      slot = nullptr;
      break;
    }
    auto it = slot->find(segment);
    if (it == slot->end()) {
      slot = nullptr;
      break;
    }
    slot = &*it;
  }
  if (slot == nullptr || slot->is_null()) {
    // A field whose mapping already failed is missing for that reason; say it once.
    const bool explained = std::any_of(violations.begin(), violations.end(),
                                       [&](const Violation& v) { return v.field == field.name; });
    if (field.required && !explained) add("required", "is required but missing");
    return;
  }
  if (!typed) {
    auto coerced = coerce(*slot, field.type);
    if (!coerced.ok()) {
      add("type " + field.type.name(),
          field.pii ? "(value hidden: pii) is not a valid " + field.type.name()
                    : coerced.error().message());
      return;
    }
    *slot = std::move(*coerced);
  }
  const nlohmann::json& value = *slot;
  if (!field.allowed.empty()) {
    bool found = false;
    for (const auto& a : field.allowed) found = found || a == value;
    if (!found) add("enum", shown(field, value) + " is not one of " + enum_text(field.allowed));
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (field.max_length && code_points(text) > *field.max_length) {
      add("max_length", shown(field, value) + " has " + std::to_string(code_points(text)) +
                            " characters, more than " + std::to_string(*field.max_length));
    }
    if (field.pattern && !std::regex_search(text, *field.pattern)) {
      add("pattern", shown(field, value) + " does not match '" + field.pattern_text + "'");
    }
  }
}

}  // namespace

const char* to_string(UnmappedPolicy policy) {
  switch (policy) {
    case UnmappedPolicy::kDrop:
      return "drop";
    case UnmappedPolicy::kKeep:
      return "keep";
    case UnmappedPolicy::kError:
      return "error";
  }
  return "drop";
}

std::string describe(const std::vector<Violation>& violations) {
  std::string out;
  for (const auto& v : violations) {
    if (!out.empty()) out += "; ";
    out += "field '" + v.field + "' [" + v.rule + "]: " + v.message;
  }
  return out;
}

const ModelField* CanonicalModel::find(const std::string& field_name) const {
  for (const auto& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

void CanonicalModel::conform(nlohmann::json& object, std::vector<Violation>& violations,
                             bool typed) const {
  if (!object.is_object()) {
    violations.push_back(Violation{
        "$", "type object",
        describe_value(object) + " is not an object; model " + ref() + " describes objects"});
    return;
  }
  for (const auto& field : fields) check_field(field, object, typed, violations);
  if (unmapped == UnmappedPolicy::kKeep) return;
  std::vector<std::string> undeclared;
  for (const auto& item : object.items()) {
    bool declared = false;
    for (const auto& field : fields) declared = declared || field.segments[0] == item.key();
    if (!declared) undeclared.push_back(item.key());
  }
  for (const auto& name : undeclared) {
    if (unmapped == UnmappedPolicy::kDrop) {
      object.erase(name);
    } else {
      violations.push_back(
          Violation{name, "unmapped", "is not declared in model " + ref() + " (unmapped: error)"});
    }
  }
}

const nlohmann::json* find_nested(const nlohmann::json& object,
                                  const std::vector<std::string>& segments) {
  const nlohmann::json* at = &object;
  for (const auto& segment : segments) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(segment);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at->is_null() ? nullptr : at;
}

void set_nested(nlohmann::json& object, const std::vector<std::string>& segments,
                nlohmann::json value) {
  nlohmann::json* at = &object;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    nlohmann::json& next = (*at)[segments[i]];
    if (!next.is_object()) next = nlohmann::json::object();
    at = &next;
  }
  (*at)[segments.back()] = std::move(value);
}

std::vector<std::string> split_dotted(const std::string& name) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = name.find('.', start);
    out.push_back(name.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace weft

#include "config/yaml_validate.h"

#include <algorithm>
#include <exception>
#include <filesystem>

#include "config/interpolate.h"
#include "config/scalar_convert.h"
#include "common/suggest.h"

namespace weft {
namespace {

void report(Validation& v, Location at, std::string message, std::string hint = {}) {
  v.errors.push_back(make_diagnostic(v.file, at, std::move(message), std::move(hint)));
}

// The value's own position, or the key's when the value has none worth showing (an empty
// value's mark points at the next token, often on another line).
Location value_location(const YAML::Node& value, Location key_at) {
  if (value.IsNull()) return key_at;
  Location at = location_of(value);
  return at.line > 0 ? at : key_at;
}

void report_mismatch(Validation& v, Location at, const YAML::Node& value, const FieldSpec& field,
                     const std::string& path) {
  std::string message = "field '" + path + "': expected " + expected_name(field.type);
  std::string hint;
  if (value.IsNull()) {
    message += ", got an empty value";
    hint = field.type == FieldType::kStringList  ? "write [] for an empty list"
           : field.type == FieldType::kStringMap ? "write {} for an empty mapping"
                                                 : "give it a value, or remove the line";
  } else if (value.IsScalar() && field.is_secret) {
    message += " (value not shown: secret field)";
  } else {
    message += ", got " + describe_node(value);
  }
  report(v, at, std::move(message), std::move(hint));
}

// A relative path written in `file` means relative to the directory holding `file`.
std::string resolve_relative_to_file(const std::string& value, const std::string& file) {
  std::filesystem::path p(value);
  if (value.empty() || p.is_absolute()) return value;
  return (std::filesystem::path(file).parent_path() / p).lexically_normal().string();
}

// Interpolates one scalar and converts it to `field`'s type; errors land at `at`.
std::optional<nlohmann::json> scalar_value(const YAML::Node& value, const FieldSpec& field,
                                           const std::string& path, Location at,
                                           Validation& v) {
  Interpolation resolved = interpolate(value.Scalar(), *v.env);
  if (!resolved.ok()) {
    report(v, at, "field '" + path + "': " + resolved.error, resolved.hint);
    return std::nullopt;
  }
  Converted converted = convert_scalar(resolved.value, field, path);
  if (!converted.value) report(v, at, converted.error, converted.hint);
  if (converted.value && field.type == FieldType::kPath) {
    *converted.value = resolve_relative_to_file(converted.value->get<std::string>(), v.file);
  }
  return converted.value;
}

// A string element of a list or map: `element` is a FieldSpec of type kString carrying the
// parent's secret flag.
std::optional<nlohmann::json> string_element(const YAML::Node& node, const FieldSpec& element,
                                             const std::string& path, Location fallback,
                                             Validation& v) {
  const Location at = value_location(node, fallback);
  if (!node.IsScalar()) {
    report_mismatch(v, at, node, element, path);
    return std::nullopt;
  }
  return scalar_value(node, element, path, at, v);
}

FieldSpec element_spec(const FieldSpec& field) {
  FieldSpec element;
  element.name = field.name;
  element.type = FieldType::kString;
  element.is_secret = field.is_secret;
  return element;
}

std::optional<nlohmann::json> list_value(const YAML::Node& value, const FieldSpec& field,
                                         const std::string& path, Location at, Validation& v) {
  if (!value.IsSequence()) {
    report_mismatch(v, at, value, field, path);
    return std::nullopt;
  }
  const FieldSpec element = element_spec(field);
  nlohmann::json out = nlohmann::json::array();
  bool ok = true;
  std::size_t index = 0;
  for (const auto& item : value) {
    const std::string item_path = path + "[" + std::to_string(index++) + "]";
    auto converted = string_element(item, element, item_path, at, v);
    if (converted) out.push_back(std::move(*converted));
    ok = ok && converted.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<nlohmann::json> map_value(const YAML::Node& value, const FieldSpec& field,
                                        const std::string& path, Location at, Validation& v) {
  if (!value.IsMap()) {
    report_mismatch(v, at, value, field, path);
    return std::nullopt;
  }
  const FieldSpec element = element_spec(field);
  nlohmann::json out = nlohmann::json::object();
  bool ok = true;
  // Range-for keeps each entry alive; `it->first` would reference a temporary proxy.
  for (const auto& entry : value) {
    const Location key_at = location_of(entry.first);
    if (!entry.first.IsScalar()) {
      report(v, key_at, "field '" + path + "': keys must be strings");
      ok = false;
      continue;
    }
    const std::string key = entry.first.Scalar();
    auto converted = string_element(entry.second, element, join_path(path, key), key_at, v);
    if (converted) out[key] = std::move(*converted);
    ok = ok && converted.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

// Each value is an object validated against `field.fields`, reported as `path.<name>.<field>`.
std::optional<nlohmann::json> object_map_value(const YAML::Node& value, const FieldSpec& field,
                                               const std::string& path, Location at,
                                               Validation& v) {
  if (!value.IsMap()) {
    report_mismatch(v, at, value, field, path);
    return std::nullopt;
  }
  const std::size_t errors_before = v.errors.size();
  nlohmann::json out = nlohmann::json::object();
  for (const auto& entry : value) {
    const Location key_at = location_of(entry.first);
    if (!entry.first.IsScalar()) {
      report(v, key_at, "field '" + path + "': keys must be strings");
      continue;
    }
    const std::string name_path = join_path(path, entry.first.Scalar());
    if (!entry.second.IsMap()) {
      FieldSpec object;
      object.name = entry.first.Scalar();
      object.type = FieldType::kObject;
      report_mismatch(v, value_location(entry.second, key_at), entry.second, object, name_path);
      continue;
    }
    out[entry.first.Scalar()] = validate_mapping(entry.second, field.fields, name_path,
                                                 value_location(entry.second, key_at), {}, v);
  }
  if (v.errors.size() != errors_before) return std::nullopt;
  return out;
}

// The default of an absent optional field, validated exactly like user input; nullopt when the
// field stays absent. A bad default is a spec bug, reported at the mapping that lacks the field.
std::optional<nlohmann::json> default_value(const FieldSpec& field, const std::string& path,
                                            Location at, Validation& v) {
  if (!field.default_text) {
    if (field.type != FieldType::kObject) return std::nullopt;
    // An absent block gets its defaults, unless it has required fields: then it is optional as
    // a whole (e.g. `tls` with a required `ca_file`).
    const bool has_required = std::any_of(field.fields.begin(), field.fields.end(),
                                          [](const FieldSpec& f) { return f.is_required; });
    if (has_required) return std::nullopt;
    return validate_mapping(YAML::Node(), field.fields, path, at, {}, v);
  }
  YAML::Node node;
  const bool scalar_type = field.type != FieldType::kObject &&
                           field.type != FieldType::kStringList &&
                           field.type != FieldType::kStringMap &&
                           field.type != FieldType::kObjectMap;
  if (scalar_type) {
    node = YAML::Node(*field.default_text);  // taken as text, so "" or "*" need no quoting
  } else {
    try {
      node = YAML::Load(*field.default_text);
    } catch (const std::exception&) {
      report(v, at, "field '" + path + "': the spec's default is not valid YAML",
             "this is a bug in the connector's spec");
      return std::nullopt;
    }
  }
  const std::size_t before = v.errors.size();
  auto value = validate_value(node, field, path, at, v);
  for (std::size_t i = before; i < v.errors.size(); ++i) {
    v.errors[i].line = at.line;
    v.errors[i].column = at.column;
    v.errors[i].hint = "the field is not set, and this is the error in its default";
  }
  return value;
}

}  // namespace

std::string join_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}

std::optional<nlohmann::json> validate_value(const YAML::Node& value, const FieldSpec& field,
                                             const std::string& path, Location key_at,
                                             Validation& v) {
  const Location at = value_location(value, key_at);
  switch (field.type) {
    case FieldType::kObject:
      if (!value.IsMap() && !value.IsNull()) {
        report_mismatch(v, at, value, field, path);
        return std::nullopt;
      }
      return validate_mapping(value, field.fields, path, at, {}, v);
    case FieldType::kStringList: return list_value(value, field, path, at, v);
    case FieldType::kStringMap: return map_value(value, field, path, at, v);
    case FieldType::kObjectMap: return object_map_value(value, field, path, at, v);
    default: break;
  }
  if (!value.IsScalar()) {
    report_mismatch(v, at, value, field, path);
    return std::nullopt;
  }
  return scalar_value(value, field, path, at, v);
}

nlohmann::json validate_mapping(const YAML::Node& node, const std::vector<FieldSpec>& fields,
                                const std::string& path, Location at,
                                const std::vector<std::string>& handled, Validation& v) {
  nlohmann::json out = nlohmann::json::object();
  std::vector<std::string> known = handled;
  for (const auto& f : fields) known.push_back(f.name);

  std::map<std::string, Location> seen;
  if (node.IsMap()) {
    // Range-for keeps each entry alive; `it->first` would reference a temporary proxy.
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const Location key_at = location_of(key);
      if (!key.IsScalar()) {
        report(v, key_at, "field names must be strings, got " + describe_node(key));
        continue;
      }
      const std::string name = key.Scalar();
      const std::string full = join_path(path, name);
      if (auto first = seen.find(name); first != seen.end()) {
        report(v, key_at, "field '" + full + "' is set twice",
               "the first is at line " + std::to_string(first->second.line));
        continue;
      }
      seen.emplace(name, key_at);
      if (std::find(handled.begin(), handled.end(), name) != handled.end()) continue;
      auto spec = std::find_if(fields.begin(), fields.end(),
                               [&](const FieldSpec& f) { return f.name == name; });
      if (spec == fields.end()) {
        auto close = closest_match(name, known);
        std::vector<std::string> sorted = known;
        std::sort(sorted.begin(), sorted.end());
        report(v, key_at, "unknown field '" + full + "'",
               close ? "did you mean '" + *close + "'?" : "valid fields: " + join(sorted));
        continue;
      }
      v.locations[full] = value_location(entry.second, key_at);
      if (auto value = validate_value(entry.second, *spec, full, key_at, v)) {
        out[name] = std::move(*value);
      }
    }
  }

  for (const auto& f : fields) {
    if (seen.count(f.name) != 0) continue;
    const std::string full = join_path(path, f.name);
    if (f.is_required) {
      report(v, at, "missing required field '" + full + "'", f.description_text);
      continue;
    }
    if (auto value = default_value(f, full, at, v)) out[f.name] = std::move(*value);
  }
  return out;
}

}  // namespace weft

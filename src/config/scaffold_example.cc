#include "config/scaffold_example.h"

#include <optional>
#include <vector>

#include "config/yaml_validate.h"

namespace weft {
namespace {

// Whether the example sets a required field of the object `f`: the object is then part of the
// connector's working configuration, and a connector check may take it for granted (reading a
// missing object aborts, see Settings), so it is never left out.
bool sets_required_field(const FieldSpec& f, const YAML::Node& example) {
  if (f.type != FieldType::kObject || !example.IsMap()) return false;
  for (const auto& item : example) {
    const YAML::Node& block = item.second;  // const: looking a key up must not insert it
    if (!item.first.IsScalar() || item.first.Scalar() != f.name || !block.IsMap()) continue;
    for (const FieldSpec& sub : f.fields) {
      if (sub.is_required && block[sub.name]) return true;
    }
  }
  return false;
}

}  // namespace

YAML::Node parse_example(const ConnectorInfo& info) {
  try {
    return YAML::Load(info.example);
  } catch (const YAML::Exception&) {
    return YAML::Node();  // the compliance tests keep examples valid; no example is still fine
  }
}

std::set<std::string> needed_fields(const ConnectorInfo& info, const YAML::Node& example) {
  std::set<std::string> keys;
  if (!example.IsMap()) return keys;
  for (const auto& item : example) {
    if (item.first.IsScalar() && info.spec.find(item.first.Scalar()) != nullptr) {
      keys.insert(item.first.Scalar());
    }
  }
  Environment env;
  env.variable = [](const std::string& name) -> std::optional<std::string> {
    return "example-value-of-" + name;
  };
  env.file = [](const std::string&) -> std::optional<std::string> { return "example"; };
  const auto valid = [&](const std::set<std::string>& with) {
    YAML::Node block(YAML::NodeType::Map);
    for (const auto& item : example) {
      if (with.contains(item.first.Scalar())) block[item.first.Scalar()] = item.second;
    }
    Validation v{info.type, &env, {}, {}};
    nlohmann::json settings = validate_mapping(block, info.spec.fields(), "", {}, {}, v);
    return v.errors.empty() && (!info.check || info.check(Settings(std::move(settings))).ok());
  };
  if (!valid(keys)) return keys;
  const auto drop = [&](const std::vector<std::string>& names) {
    std::set<std::string> without = keys;
    for (const auto& name : names) without.erase(name);
    if (!valid(without)) return false;
    keys = std::move(without);
    return true;
  };
  // One field at a time, then two at a time (fields that only go together, such as a mode and
  // the setting it needs), until none can go.
  for (bool dropped = true; dropped;) {
    std::vector<std::string> candidates;
    for (const FieldSpec& f : info.spec.fields()) {
      if (!f.is_required && keys.contains(f.name) && !sets_required_field(f, example)) {
        candidates.push_back(f.name);
      }
    }
    dropped = false;
    for (std::size_t i = 0; i < candidates.size() && !dropped; ++i) dropped = drop({candidates[i]});
    for (std::size_t i = 0; i < candidates.size() && !dropped; ++i) {
      for (std::size_t j = i + 1; j < candidates.size() && !dropped; ++j) {
        dropped = drop({candidates[i], candidates[j]});
      }
    }
  }
  return keys;
}

}  // namespace weft

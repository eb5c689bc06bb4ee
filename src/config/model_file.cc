#include "config/model_file.h"

#include <filesystem>

#include "config/file_io.h"

namespace weft {
namespace {

namespace fs = std::filesystem;

void report(Validation& v, Location at, std::string message, std::string hint = {}) {
  v.errors.push_back(make_diagnostic(v.file, at, std::move(message), std::move(hint)));
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

Location location(const Validation& v, const std::string& path) {
  auto it = v.locations.find(path);
  return it == v.locations.end() ? Location{} : it->second;
}

std::optional<ModelField> build_field(const std::string& name, const nlohmann::json& spec,
                                      Validation& v) {
  const std::string at = "fields." + name;
  ModelField field;
  field.name = name;
  field.segments = split_dotted(name);
  for (const auto& segment : field.segments) {
    if (segment.empty()) {
      report(v, location(v, at), "model field '" + name + "': empty name between dots",
             "nested fields are written 'address.city'");
      return std::nullopt;
    }
  }
  auto type = parse_value_type(spec.at("type").get<std::string>());
  if (!type.ok()) {
    report(v, location(v, at + ".type"), "model field '" + name + "': " + type.error().message());
    return std::nullopt;
  }
  field.type = *type;
  field.required = spec.at("required").get<bool>();
  field.pii = spec.at("pii").get<bool>();
  if (spec.contains("description")) field.description = spec["description"].get<std::string>();
  if (spec.contains("max_length")) {
    field.max_length = static_cast<std::size_t>(spec["max_length"].get<std::int64_t>());
  }
  if (spec.contains("pattern")) {
    field.pattern_text = spec["pattern"].get<std::string>();
    try {
      field.pattern.emplace(field.pattern_text, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      report(v, location(v, at + ".pattern"),
             "model field '" + name + "': pattern '" + field.pattern_text +
                 "' is not a valid regular expression: " + e.what());
      return std::nullopt;
    }
  }
  if (spec.contains("enum")) {
    // Enum values are written as YAML text; each becomes a value of the field's type, so
    // `enum: [1, 2]` on an int field compares with numbers.
    for (const auto& text : spec["enum"]) {
      auto value = coerce(text, field.type);
      if (!value.ok()) {
        report(v, location(v, at + ".enum"),
               "model field '" + name + "': enum value " + value.error().message());
        return std::nullopt;
      }
      field.allowed.push_back(std::move(*value));
    }
  }
  return field;
}

}  // namespace

const ConfigSpec& model_spec() {
  static const ConfigSpec spec = [] {
    ConfigSpec field;
    field.string("type").required()
        .description("string, int, float, decimal, bool, timestamp, date, json or array<T>")
        .example("timestamp");
    field.boolean("required").default_value("false")
        .description("A record without this field (or with null) is dead-lettered");
    field.string_list("enum").description("The only values allowed").example("[active, churned]");
    field.string("pattern")
        .description("Regular expression (ECMAScript, unanchored) a string must match")
        .example("'^[^@\\s]+@[^@\\s]+$'");
    field.integer("max_length").min(1).description("Most characters a string may have")
        .example("254");
    field.string("description").description("What the field means, for people");
    field.boolean("pii").default_value("false")
        .description("Personal data: its value never appears in errors or dead-letter messages");
    ConfigSpec s;
    s.string("name").required().description("Model name, [a-z0-9_-]").example("customer");
    s.string("version").default_value("v1").description("Model version").example("v2");
    s.string("description").description("What the model describes, for people");
    s.enumeration("unmapped", {"drop", "keep", "error"}).default_value("drop")
        .description("Fields the model does not declare: drop them, keep them, or dead-letter "
                     "the record");
    s.object_map("fields", field).required().description("The model's fields by name; "
                                                        "'address.city' nests");
    return s;
  }();
  return spec;
}

std::shared_ptr<const CanonicalModel> parse_model(const YAML::Node& node, const std::string& file,
                                                  Validation& v) {
  Validation local{file.empty() ? v.file : file, v.env, {}, {}};
  nlohmann::json top = validate_mapping(node, model_spec().fields(), "", location_of(node), {}, local);
  auto model = std::make_shared<CanonicalModel>();
  model->file = file;
  if (local.errors.empty()) {
    model->name = top.at("name").get<std::string>();
    if (!valid_name(model->name)) {
      report(local, location(local, "name"), "invalid model name '" + model->name + "'",
             "use lowercase letters, digits, '_' and '-'");
    }
    model->version = top.at("version").get<std::string>();
    if (top.contains("description")) model->description = top["description"].get<std::string>();
    const std::string unmapped = top.at("unmapped").get<std::string>();
    model->unmapped = unmapped == "keep"    ? UnmappedPolicy::kKeep
                      : unmapped == "error" ? UnmappedPolicy::kError
                                            : UnmappedPolicy::kDrop;
    for (const auto& item : top.at("fields").items()) {
      if (auto field = build_field(item.key(), item.value(), local)) {
        model->fields.push_back(std::move(*field));
      }
    }
  }
  const bool ok = local.errors.empty();
  v.errors.insert(v.errors.end(), local.errors.begin(), local.errors.end());
  return ok ? model : nullptr;
}

std::shared_ptr<const CanonicalModel> load_model_ref(const std::string& ref, const std::string& dir,
                                                     Location at, Validation& v,
                                                     std::string& raw_text) {
  const auto sep = ref.find('@');
  const std::string name = ref.substr(0, sep);
  const std::string version = sep == std::string::npos ? "" : ref.substr(sep + 1);
  if (!valid_name(name) || (sep != std::string::npos && version.empty())) {
    report(v, at, "model reference '" + ref + "' is not NAME or NAME@VERSION",
           "for example 'customer' or 'customer@v2'");
    return nullptr;
  }
  std::vector<fs::path> candidates;
  if (!version.empty()) candidates.push_back(fs::path(dir) / (name + "@" + version + ".yaml"));
  candidates.push_back(fs::path(dir) / (name + ".yaml"));
  for (const auto& path : candidates) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    Diagnostics file_errors;
    auto root = load_yaml_mapping_file(path.string(), "a model needs 'name' and 'fields'",
                                       file_errors);
    if (!root) {
      v.errors.insert(v.errors.end(), file_errors.begin(), file_errors.end());
      return nullptr;
    }
    raw_text = read_whole_file(path.string()).text.value_or("");
    auto model = parse_model(*root, path.string(), v);
    if (!model) return nullptr;
    if (model->name != name) {
      report(v, at, "model file " + path.string() + " declares model '" + model->name +
                        "', not '" + name + "'");
      return nullptr;
    }
    if (!version.empty() && model->version != version) {
      report(v, at, "model '" + ref + "' not found: " + path.string() + " is version " +
                        model->version,
             "write model: " + name + "@" + model->version + ", or add " + name + "@" + version +
                 ".yaml");
      return nullptr;
    }
    return model;
  }
  std::string looked;
  for (const auto& path : candidates) looked += (looked.empty() ? "" : " and ") + path.string();
  report(v, at, "model '" + ref + "' not found: looked for " + looked,
         "set models_dir, or create the model file");
  return nullptr;
}

}  // namespace weft

#include "config/pipeline_config.h"

#include <algorithm>
#include <exception>

#include <openssl/evp.h>

#include "config/delivery_spec.h"
#include "config/mapping_config.h"
#include "config/pipeline_name.h"
#include "config/pipeline_loader.h"
#include "config/redact.h"
#include "common/suggest.h"
#include "config/yaml_validate.h"

namespace weft {
namespace {

// The fields written at the top of a pipeline file, besides `source` and `sink`.
const std::vector<FieldSpec>& top_level_fields() {
  static const std::vector<FieldSpec> fields = [] {
    ConfigSpec spec;
    spec.string("name").required().description("Unique pipeline name").example("orders");
    spec.string("description").description("Free text for humans");
    std::vector<FieldSpec> out = spec.fields();
    const auto& runtime = pipeline_runtime_spec().fields();
    out.insert(out.end(), runtime.begin(), runtime.end());
    return out;
  }();
  return fields;
}

void report(Validation& v, Location at, std::string message, std::string hint = {}) {
  v.errors.push_back(make_diagnostic(v.file, at, std::move(message), std::move(hint)));
}

// The first entry of mapping `map` whose key is the scalar `key`.
std::optional<std::pair<YAML::Node, YAML::Node>> find_entry(const YAML::Node& map,
                                                            const std::string& key) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      return std::make_pair(YAML::Node(entry.first), YAML::Node(entry.second));
    }
  }
  return std::nullopt;
}

std::vector<std::string> sorted_types(const Registry& registry, ConnectorKind kind) {
  std::vector<std::string> types = registry.types(kind);
  std::sort(types.begin(), types.end());
  return types;
}

std::string available_types(const Registry& registry, ConnectorKind kind) {
  const auto types = sorted_types(registry, kind);
  if (types.empty()) return std::string("no ") + to_string(kind) + " types are registered";
  return std::string("available ") + to_string(kind) + " types: " + join(types);
}

// Where a connector's check error points: the field its message names ("field 'a.b': ..."),
// else the block.
Location field_location(const Validation& v, const std::string& block, const std::string& message,
                        Location fallback) {
  constexpr std::string_view kPrefix = "field '";
  if (message.rfind(kPrefix, 0) != 0) return fallback;
  const std::size_t end = message.find('\'', kPrefix.size());
  if (end == std::string::npos) return fallback;
  const auto it = v.locations.find(block + "." + message.substr(kPrefix.size(), end - kPrefix.size()));
  return it != v.locations.end() ? it->second : fallback;
}

// Validates `source:` or `sink:` of the pipeline mapping `root`; nullopt after reporting.
std::optional<ConnectorConfig> connector_block(const YAML::Node& root, ConnectorKind kind,
                                               const Registry& registry, Validation& v) {
  const std::string key = to_string(kind);
  auto entry = find_entry(root, key);
  if (!entry) {
    report(v, location_of(root), "missing required field '" + key + "'",
           available_types(registry, kind));
    return std::nullopt;
  }
  const Location key_at = location_of(entry->first);
  const YAML::Node& block = entry->second;
  if (!block.IsMap()) {
    const Location at = block.IsNull() ? key_at : location_of(block);
    report(v, at, "field '" + key + "': expected mapping, got " + describe_node(block),
           "write the connector's type and settings below it, e.g. '" + key + ": {type: ...}'");
    return std::nullopt;
  }
  auto type_entry = find_entry(block, "type");
  if (!type_entry) {
    report(v, location_of(block), "missing required field '" + key + ".type'",
           available_types(registry, kind));
    return std::nullopt;
  }
  const YAML::Node& type_node = type_entry->second;
  const Location type_key_at = location_of(type_entry->first);
  FieldSpec type_field;
  type_field.name = "type";
  auto type_value = validate_value(type_node, type_field, key + ".type", type_key_at, v);
  if (!type_value) return std::nullopt;
  const std::string type = type_value->get<std::string>();
  const ConnectorInfo* info = registry.find(kind, type);
  if (info == nullptr) {
    const ConnectorKind other = kind == ConnectorKind::kSource ? ConnectorKind::kSink
                                                               : ConnectorKind::kSource;
    std::string hint = available_types(registry, kind);
    if (registry.find(other, type) != nullptr) {
      hint = "'" + type + "' is a " + to_string(other) + ", not a " + key + "; " + hint;
    } else if (auto close = closest_match(type, sorted_types(registry, kind))) {
      hint = "did you mean '" + *close + "'? " + hint;
    }
    report(v, location_of(type_node), "unknown " + key + " type '" + type + "'", std::move(hint));
    return std::nullopt;
  }
  ConnectorConfig config;
  config.type = type;
  config.info = info;
  const std::size_t errors_before = v.errors.size();
  config.settings =
      Settings(validate_mapping(block, info->spec.fields(), key, location_of(block), {"type"}, v));
  if (info->check && v.errors.size() == errors_before) {
    if (auto checked = info->check(config.settings); !checked) {
      std::string message = checked.error().message();
      const Location at = field_location(v, key, message, location_of(block));
      if (message.rfind("field '", 0) == 0) message.insert(7, key + ".");  // as the spec's say
      report(v, at, message);
    }
  }
  return config;
}

// What /api shows of a mapping: the model and the rules' targets and sources (never values).
nlohmann::json mapping_summary(const MappingSpec& spec) {
  nlohmann::json out = nlohmann::json::object();
  if (spec.model) out["model"] = spec.model->ref();
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& rule : spec.fields) fields[rule.target] = rule.source_text;
  out["fields"] = std::move(fields);
  if (spec.keep_when) out["filter_keep"] = spec.keep_when->text();
  if (spec.drop_when) out["filter_drop"] = spec.drop_when->text();
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& route : spec.routes) {
    routes.push_back({{"when", route.when ? route.when->text() : ""}, {"to", route.to}});
  }
  if (!routes.empty()) out["routes"] = std::move(routes);
  return out;
}

nlohmann::json connector_json(const ConnectorConfig& c) {
  return {{"type", c.type}, {"settings", c.settings.json()}};
}

nlohmann::json redacted_connector(const ConnectorConfig& c) {
  nlohmann::json out = nlohmann::json::object();
  if (c.info != nullptr) {
    out = redact(c.settings.json(), c.info->spec.fields());
  } else {
    // Without the spec nobody can tell which fields are secret: hide every value.
    for (const auto& item : c.settings.json().items()) out[item.key()] = kRedacted;
  }
  out["type"] = c.type;
  return out;
}

LocatedPipeline load_checked(const std::string& path, const Registry& registry,
                             const Environment& env) {
  LocatedPipeline out;
  Diagnostics& errors = out.loaded.errors;
  auto root = load_yaml_mapping_file(
      path, "a pipeline file needs at least 'name', 'source' and 'sink'", errors);
  if (!root) return out;

  Validation v{path, &env, {}, {}};
  std::vector<std::string> handled = {"source", "sink"};
  handled.insert(handled.end(), mapping_keys().begin(), mapping_keys().end());
  nlohmann::json top =
      validate_mapping(*root, top_level_fields(), "", location_of(*root), handled, v);
  if (auto it = v.locations.find("name"); it != v.locations.end()) out.name_at = it->second;
  if (top.contains("name") && !valid_pipeline_name(top["name"].get<std::string>())) {
    report(v, out.name_at,
           "invalid pipeline name '" + top["name"].get<std::string>() + "'", kPipelineNameHint);
  }
  check_delivery_fields(top, v);
  auto source = connector_block(*root, ConnectorKind::kSource, registry, v);
  auto sink = connector_block(*root, ConnectorKind::kSink, registry, v);
  auto mapping = parse_mapping(*root, v);
  if (!v.errors.empty()) {
    errors = std::move(v.errors);
    sort_by_position(errors);
    return out;
  }

  PipelineConfig config;
  config.name = top["name"].get<std::string>();
  config.file = path;
  config.source = std::move(*source);
  config.sink = std::move(*sink);
  top.erase("name");
  top.erase("description");
  config.runtime = Settings(std::move(top));
  config.mapping = std::move(mapping);
  const nlohmann::json resolved = {
      {"name", config.name},
      {"source", connector_json(config.source)},
      {"sink", connector_json(config.sink)},
      {"runtime", config.runtime.json()},
      {"mapping", config.mapping ? config.mapping->fingerprint : std::string()}};
  config.fingerprint = sha256_hex(resolved.dump());
  out.loaded.value = std::move(config);
  return out;
}

}  // namespace

bool valid_pipeline_name(std::string_view name) {
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 63 || !lower_or_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

const ConfigSpec& pipeline_runtime_spec() {
  static const ConfigSpec spec = [] {
    ConfigSpec batch;
    batch.integer("max_records").default_value("1000").min(1).max(100000)
        .description("Most records handed to the sink in one write").example("5000");
    batch.duration("max_wait").default_value("0s")
        .description("How long a write may wait to fill up to max_records (or max_bytes) with "
                     "what the source reads next; no record waits longer. 0: each read is "
                     "written as it comes. For targets that load in bulk, such as a warehouse")
        .example("5s");
    batch.size("max_bytes")
        .description("With max_wait: the batch ends once its records' values reach this size")
        .example("64MiB");
    ConfigSpec checkpoint;
    checkpoint.duration("interval").default_value("1s").min(10)
        .description("How often acknowledged positions are committed to the state store and "
                     "the source")
        .example("5s");
    ConfigSpec buffer;
    buffer.integer("batches").default_value("4").min(1).max(1024)
        .description("Batches in flight between stages; bounds memory and applies backpressure")
        .example("8");
    ConfigSpec freshness;
    freshness.duration("max_age").min(1000)
        .description("The freshness SLO: /readyz reports the pipeline not ready once its newest "
                     "delivered data (by event time where the source has one) is older than "
                     "this. Unset: freshness is measured, not judged")
        .example("15m");
    freshness.enumeration("when", {"always", "source_active"}).default_value("always")
        .description("always: silence longer than max_age is a breach. source_active: only "
                     "work that waits (records in flight, or a backlog the source reports, such "
                     "as Kafka consumer lag or CDC replication lag) longer than max_age is; for "
                     "webhooks and other sources that may legitimately be quiet")
        .example("source_active");
    ConfigSpec s;
    s.object("batch", batch).description("How records are grouped into writes to the sink");
    s.object("checkpoint", checkpoint).description("When progress is made durable");
    s.object("buffer", buffer).description("Memory between the source and the sink");
    s.object("freshness", freshness).description("How fresh the delivered data must be");
    add_delivery_fields(s);
    return s;
  }();
  return spec;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

nlohmann::json PipelineConfig::redacted() const {
  nlohmann::json out = redact(runtime.json(), pipeline_runtime_spec().fields());
  if (!out.is_object()) out = nlohmann::json::object();
  out["name"] = name;
  out["file"] = file;
  out["source"] = redacted_connector(source);
  out["sink"] = redacted_connector(sink);
  if (mapping) out["mapping"] = mapping_summary(*mapping);
  return out;
}

LocatedPipeline load_pipeline_located(const std::string& path, const Registry& registry,
                                      const Environment& env) {
  try {
    return load_checked(path, registry, env);
  } catch (const std::exception& e) {
    // Nothing above is expected to throw; keep the promise of errors-as-values regardless.
    LocatedPipeline out;
    out.loaded.errors.push_back(
        make_diagnostic(path, {}, std::string("internal error while loading: ") + e.what()));
    return out;
  }
}

Loaded<PipelineConfig> load_pipeline_file(const std::string& path, const Registry& registry,
                                          const Environment& env) {
  return load_pipeline_located(path, registry, env).loaded;
}

}  // namespace weft

#include "config/mapping_config.h"

#include <charconv>
#include <filesystem>

#include "config/model_file.h"
#include "common/suggest.h"

namespace weft {
namespace {

namespace fs = std::filesystem;

void report(Validation& v, Location at, std::string message, std::string hint = {}) {
  v.errors.push_back(make_diagnostic(v.file, at, std::move(message), std::move(hint)));
}

std::optional<YAML::Node> find_entry(const YAML::Node& map, const std::string& key) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return YAML::Node(entry.second);
  }
  return std::nullopt;
}

Location location(const Validation& v, const std::string& path, Location fallback) {
  auto it = v.locations.find(path);
  return it == v.locations.end() ? fallback : it->second;
}

// A scalar's text after ${...} interpolation, like every other setting's; nullopt after
// reporting a missing variable or file.
std::optional<std::string> interpolated(const YAML::Node& scalar, const std::string& field,
                                        Validation& v) {
  FieldSpec text;
  text.name = field;
  auto value = validate_value(scalar, text, field, location_of(scalar), v);
  if (!value) return std::nullopt;
  return value->get<std::string>();
}

// A YAML value as JSON, typed the way YAML 1.2's core schema reads plain scalars: true/false,
// null/~, integers and floats; quoted scalars stay strings. Scalars are interpolated first. For
// constants and defaults.
nlohmann::json yaml_to_json(const YAML::Node& node, const std::string& field, Validation& v) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item, field, v));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) {
        out[entry.first.Scalar()] = yaml_to_json(entry.second, field, v);
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = interpolated(node, field, v).value_or("");
      if (node.Tag() == "!") return s;  // quoted
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
      std::int64_t integer = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), integer);
      if (ec == std::errc{} && end == s.data() + s.size()) return integer;
      double number = 0;
      auto [fend, fec] = std::from_chars(s.data(), s.data() + s.size(), number);
      if (fec == std::errc{} && fend == s.data() + s.size() && !s.empty()) return number;
      return s;
    }
    default:
      return nullptr;
  }
}

const ConfigSpec& rule_spec() {
  static const ConfigSpec spec = [] {
    ConfigSpec crosswalk;
    crosswalk.string("entity").required().description("What the id identifies").example("customer");
    crosswalk.string("system").required().description("The system the external id belongs to")
        .example("stripe");
    crosswalk.string("from").required().description("Path of the external id")
        .example("$.data.object.id");
    crosswalk.enumeration("on_missing", {"create", "error", "null"}).default_value("create")
        .description("An external id not linked yet: mint a canonical id, dead-letter the "
                     "record, or leave the field null");
    crosswalk.enumeration("mint", {"uuid_v5", "uuid_v4"}).default_value("uuid_v5")
        .description("How `create` mints ids: stable (v5 of entity/system/id) or random (v4)");
    ConfigSpec s;
    s.string("from").description("Path to read").example("$.data.object.email");
    s.string_list("coalesce").description("Paths tried in order; the first present wins")
        .example("[$.name, $.description]");
    s.object("crosswalk", crosswalk).description("Translate an external id to a canonical id");
    s.string_list("fn").description("Functions applied in order").example("[trim, lower]");
    s.string("type").description("Coerce to this type (the model's field type when omitted)")
        .example("timestamp");
    s.string("format").description("strftime format for timestamps and dates written otherwise")
        .example("'%d/%m/%Y'");
    s.enumeration("unit", {"auto", "s", "ms", "us"}).default_value("auto")
        .description("Unit of numeric timestamps");
    return s;
  }();
  return spec;
}

const ConfigSpec& route_spec() {
  static const ConfigSpec spec = [] {
    ConfigSpec s;
    s.string("when").description("Condition on the mapped record; omitted: always")
        .example("$.country in ['DE', 'FR']");
    s.string("to").required().description("Route name, written to header _route").example("eu");
    return s;
  }();
  return spec;
}

std::optional<ValuePath> parse_path(const std::string& text, const std::string& field,
                                    Location at, Validation& v) {
  auto path = ValuePath::parse(text);
  if (!path.ok()) {
    report(v, at, "field '" + field + "': " + path.error().message());
    return std::nullopt;
  }
  return std::move(*path);
}

std::optional<Expression> parse_expression(const std::string& text, const std::string& field,
                                           Location at, Validation& v) {
  auto expression = Expression::parse(text);
  if (!expression.ok()) {
    report(v, at, "field '" + field + "': " + expression.error().message(),
           "conditions compare paths and literals: $.status == 'active' and not $.deleted");
    return std::nullopt;
  }
  return std::move(*expression);
}

EpochUnit parse_unit(const std::string& unit) {
  if (unit == "s") return EpochUnit::kSeconds;
  if (unit == "ms") return EpochUnit::kMillis;
  if (unit == "us") return EpochUnit::kMicros;
  return EpochUnit::kAuto;
}

// `cases: [{when: <condition>, value: <constant> | from: <path>}, ..., {value: ...}]` into
// `rule.cases`, reporting problems into `v`.
void parse_cases(const YAML::Node& node, const std::string& field, FieldRule& rule,
                 Validation& v) {
  const Location at = location_of(node);
  if (!node.IsSequence() || node.size() == 0) {
    report(v, at, "field '" + field + "': expected a list of {when, value} or {when, from}",
           "e.g. cases: [{when: \"@op == 'delete'\", value: deleted}, {value: active}]");
    return;
  }
  ConfigSpec spec;
  spec.string("when").description("Condition on the source record; omitted: always");
  spec.string("from").description("Path to read when the condition holds");
  bool unconditional = false;
  std::size_t i = 0;
  for (const auto& item : node) {
    const std::string item_field = field + "[" + std::to_string(i++) + "]";
    const Location item_at = location_of(item);
    if (unconditional) {
      report(v, item_at, "field '" + item_field + "' is never reached: an earlier case has no "
                                                  "'when'");
      continue;
    }
    if (!item.IsMap()) {
      report(v, item_at, "field '" + item_field + "': expected {when, value} or {when, from}");
      continue;
    }
    nlohmann::json c = validate_mapping(item, spec.fields(), item_field, item_at, {"value"}, v);
    Case out;
    if (c.contains("when")) {
      out.when = parse_expression(c["when"].get<std::string>(), item_field + ".when",
                                  location(v, item_field + ".when", item_at), v);
    } else {
      unconditional = true;
    }
    auto value = find_entry(item, "value");
    if (value) out.value = yaml_to_json(*value, item_field + ".value", v);
    if (c.contains("from")) {
      out.from = parse_path(c["from"].get<std::string>(), item_field + ".from",
                            location(v, item_field + ".from", item_at), v);
    }
    if (value.has_value() == c.contains("from")) {
      report(v, item_at, "field '" + item_field + "': set exactly one of value and from");
      continue;
    }
    rule.cases.push_back(std::move(out));
  }
}

// One entry of `map:`; nullopt after reporting.
std::optional<FieldRule> parse_rule(const std::string& target, const YAML::Node& node,
                                    Location key_at, Validation& v) {
  const std::string field = "map." + target;
  FieldRule rule;
  rule.target = target;
  rule.segments = split_dotted(target);
  for (const auto& segment : rule.segments) {
    if (segment.empty()) {
      report(v, key_at, "map field '" + target + "': empty name between dots",
             "nested fields are written 'address.city'");
      return std::nullopt;
    }
  }
  const Location at = node.IsNull() ? key_at : location_of(node);
  if (node.IsScalar()) {
    const auto interpolated_text = interpolated(node, field, v);
    if (!interpolated_text) return std::nullopt;
    const std::string& text = *interpolated_text;
    if (text.empty() || (text[0] != '$' && text[0] != '@')) {
      report(v, at, "field '" + field + "': '" + text + "' is not a path",
             "a path starts with $ ($.data.email) or @ (@key); write a constant as {value: " +
                 text + "}");
      return std::nullopt;
    }
    auto path = parse_path(text, field, at, v);
    if (!path) return std::nullopt;
    rule.source_text = text;
    rule.from.push_back(std::move(*path));
    return rule;
  }
  if (!node.IsMap()) {
    report(v, at, "field '" + field + "': expected a path or a mapping, got " + describe_node(node),
           "e.g. 'email: $.data.email' or 'email: {from: $.data.email, fn: [lower]}'");
    return std::nullopt;
  }
  const std::size_t errors_before = v.errors.size();
  nlohmann::json r =
      validate_mapping(node, rule_spec().fields(), field, at, {"value", "default", "cases"}, v);
  if (v.errors.size() != errors_before) return std::nullopt;
  auto where = [&](const std::string& key) { return location(v, field + "." + key, at); };

  int sources = 0;
  if (r.contains("from")) {
    ++sources;
    auto path = parse_path(r["from"].get<std::string>(), field + ".from", where("from"), v);
    if (path) rule.from.push_back(std::move(*path));
    rule.source_text = r["from"].get<std::string>();
  }
  if (r.contains("coalesce")) {
    ++sources;
    rule.source_text = "coalesce(";
    for (const auto& text : r["coalesce"]) {
      auto path = parse_path(text.get<std::string>(), field + ".coalesce", where("coalesce"), v);
      if (path) rule.from.push_back(std::move(*path));
      rule.source_text += (rule.from.size() > 1 ? ", " : "") + text.get<std::string>();
    }
    rule.source_text += ")";
    if (r["coalesce"].empty()) {
      report(v, where("coalesce"), "field '" + field + ".coalesce': give at least one path");
    }
  }
  if (auto value = find_entry(node, "value")) {
    ++sources;
    rule.constant = yaml_to_json(*value, field + ".value", v);
    rule.source_text = "a constant";
  }
  if (auto cases = find_entry(node, "cases")) {
    ++sources;
    rule.source_text = "cases";
    parse_cases(*cases, field + ".cases", rule, v);
  }
  if (r.contains("crosswalk")) {
    ++sources;
    const auto& xw = r["crosswalk"];
    auto from = parse_path(xw["from"].get<std::string>(), field + ".crosswalk.from",
                           where("crosswalk.from"), v);
    if (from) {
      CrosswalkRule c{xw["entity"].get<std::string>(), xw["system"].get<std::string>(),
                      std::move(*from)};
      const std::string on_missing = xw["on_missing"].get<std::string>();
      c.on_missing = on_missing == "error"  ? OnMissing::kError
                     : on_missing == "null" ? OnMissing::kNull
                                            : OnMissing::kCreate;
      c.mint = xw["mint"].get<std::string>() == "uuid_v4" ? MintMode::kUuidV4 : MintMode::kUuidV5;
      rule.source_text = "crosswalk " + c.entity + "/" + c.system;
      rule.crosswalk = std::move(c);
    }
  }
  if (auto fallback = find_entry(node, "default")) {
    rule.default_value = yaml_to_json(*fallback, field + ".default", v);
  }
  if (r.contains("fn")) {
    for (const auto& text : r["fn"]) {
      auto call = parse_call(text.get<std::string>());
      if (!call.ok()) {
        report(v, where("fn"), "field '" + field + ".fn': " + call.error().message());
        continue;
      }
      auto function = find_function(call->name, call->args.size());
      if (!function.ok()) {
        report(v, where("fn"), "field '" + field + ".fn': " + function.error().message());
        continue;
      }
      rule.functions.push_back(
          FunctionStep{*function, std::move(call->args), text.get<std::string>()});
    }
  }
  if (sources > 1) {
    report(v, at,
           "field '" + field + "': set only one of from, coalesce, value, cases and crosswalk");
  } else if (sources == 0 && !rule.default_value &&
             (rule.functions.empty() || rule.functions.front().function != Function::kNow)) {
    report(v, at, "field '" + field + "': nothing to read",
           "set from, coalesce, value or crosswalk (or fn: [now])");
  }
  if (r.contains("type")) {
    auto type = parse_value_type(r["type"].get<std::string>());
    if (type.ok()) {
      rule.type = *type;
    } else {
      report(v, where("type"), "field '" + field + ".type': " + type.error().message());
    }
  }
  if (r.contains("format")) rule.coerce.format = r["format"].get<std::string>();
  rule.coerce.epoch_unit = parse_unit(r["unit"].get<std::string>());
  if (rule.source_text.empty()) rule.source_text = rule.functions.empty() ? "default" : "fn";
  if (v.errors.size() != errors_before) return std::nullopt;
  return rule;
}

// Checks the rules against the model and fills in each rule's type and pii from it.
void apply_model(MappingSpec& spec, const std::map<std::string, Location>& target_at,
                 Location map_at, Validation& v) {
  const CanonicalModel& model = *spec.model;
  std::vector<std::string> names;
  for (const auto& f : model.fields) names.push_back(f.name);
  for (auto& rule : spec.fields) {
    const Location at = target_at.at(rule.target);
    const ModelField* field = model.find(rule.target);
    if (field == nullptr) {
      auto close = closest_match(rule.target, names);
      report(v, at, "map field '" + rule.target + "' is not in model " + model.ref(),
             close ? "did you mean '" + *close + "'?" : "the model's fields: " + join(names));
      continue;
    }
    if (rule.type && !(*rule.type == field->type)) {
      report(v, at, "map field '" + rule.target + "': type " + rule.type->name() +
                        " contradicts model " + model.ref() + ", which says " +
                        field->type.name(),
             "remove the rule's type; the model's applies");
      continue;
    }
    rule.type = field->type;
    rule.pii = field->pii;
  }
  if (spec.fields.empty() || model.unmapped == UnmappedPolicy::kKeep) return;
  for (const auto& field : model.fields) {
    if (!field.required) continue;
    bool set = false;
    for (const auto& rule : spec.fields) set = set || rule.target == field.name;
    if (!set) {
      report(v, map_at, "model " + model.ref() + " requires '" + field.name +
                            "' but the map does not set it",
             "add '" + field.name + ": $.<path>' under map");
    }
  }
}

// `format` and `unit` only change how timestamps and dates are read; on any other type they
// would be silently ignored, which hides a mistake (usually a missing `type: timestamp`).
void check_time_options(const MappingSpec& spec, const std::map<std::string, Location>& target_at,
                        Validation& v) {
  for (const auto& rule : spec.fields) {
    const bool has_options =
        !rule.coerce.format.empty() || rule.coerce.epoch_unit != EpochUnit::kAuto;
    const bool time_type = rule.type && (rule.type->kind == ValueKind::kTimestamp ||
                                         rule.type->kind == ValueKind::kDate);
    if (has_options && !time_type) {
      report(v, target_at.at(rule.target),
             "map field '" + rule.target + "': format and unit apply only to timestamp and date "
             "fields, and this one is " + (rule.type ? rule.type->name() : "untyped"),
             "add 'type: timestamp' (or date), or remove format and unit");
    }
  }
}

}  // namespace

std::shared_ptr<const MappingSpec> parse_mapping(const YAML::Node& root, Validation& v) {
  bool any = false;
  for (const auto& key : mapping_keys()) any = any || find_entry(root, key).has_value();
  if (!any) return nullptr;
  const std::size_t errors_before = v.errors.size();
  auto spec = std::make_shared<MappingSpec>();
  // The fingerprint holds interpolated values, so a changed variable restarts the pipeline on
  // reload; its interpolation problems are reported where the values are used, not twice.
  nlohmann::json fingerprint = nlohmann::json::object();
  Validation scratch{v.file, v.env, {}, {}};

  std::string models_dir = (fs::path(v.file).parent_path() / ".." / "models").lexically_normal();
  if (auto dir = find_entry(root, "models_dir")) {
    FieldSpec path_field;
    path_field.name = "models_dir";
    path_field.type = FieldType::kPath;
    if (auto value = validate_value(*dir, path_field, "models_dir", location_of(*dir), v)) {
      models_dir = value->get<std::string>();
    }
  }
  if (auto model = find_entry(root, "model")) {
    if (model->IsScalar()) {
      std::string raw;
      spec->model = load_model_ref(model->Scalar(), models_dir, location_of(*model), v, raw);
      fingerprint["model"] = raw;
    } else if (model->IsMap()) {
      spec->model = parse_model(*model, "", v);
      fingerprint["model"] = yaml_to_json(*model, "model", scratch);
    } else {
      report(v, location_of(*model), "field 'model': expected NAME[@VERSION] or an inline model, "
                                     "got " + describe_node(*model),
             "e.g. 'model: customer@v2' (models/customer.yaml)");
    }
  }

  std::map<std::string, Location> target_at;
  Location map_at;
  if (auto map = find_entry(root, "map")) {
    map_at = location_of(*map);
    fingerprint["map"] = yaml_to_json(*map, "map", scratch);
    if (!map->IsMap()) {
      report(v, map_at, "field 'map': expected a mapping of target fields, got " +
                            describe_node(*map),
             "e.g. 'map: {email: $.data.email}'");
    } else {
      for (const auto& entry : *map) {
        const std::string target = entry.first.Scalar();
        const Location key_at = location_of(entry.first);
        if (target_at.count(target) != 0) {
          report(v, key_at, "map field '" + target + "' is set twice");
          continue;
        }
        target_at[target] = key_at;
        if (auto rule = parse_rule(target, entry.second, key_at, v)) {
          spec->fields.push_back(std::move(*rule));
        }
      }
    }
  }

  if (auto filter = find_entry(root, "filter")) {
    fingerprint["filter"] = yaml_to_json(*filter, "filter", scratch);
    const Location at = location_of(*filter);
    if (filter->IsScalar()) {
      if (auto text = interpolated(*filter, "filter", v)) {
        spec->keep_when = parse_expression(*text, "filter", at, v);
      }
    } else if (filter->IsMap()) {
      ConfigSpec fs;
      fs.string("keep").description("Keep only records for which this holds");
      fs.string("drop").description("Drop records for which this holds");
      nlohmann::json f = validate_mapping(*filter, fs.fields(), "filter", at, {}, v);
      if (f.contains("keep")) {
        spec->keep_when = parse_expression(f["keep"].get<std::string>(), "filter.keep",
                                           location(v, "filter.keep", at), v);
      }
      if (f.contains("drop")) {
        spec->drop_when = parse_expression(f["drop"].get<std::string>(), "filter.drop",
                                           location(v, "filter.drop", at), v);
      }
      if (!f.contains("keep") && !f.contains("drop")) {
        report(v, at, "field 'filter': set keep or drop", "e.g. 'filter: {drop: @op == \"delete\"}'");
      }
    } else {
      report(v, at, "field 'filter': expected a condition or {keep|drop: condition}, got " +
                        describe_node(*filter));
    }
  }

  if (auto route = find_entry(root, "route")) {
    fingerprint["route"] = yaml_to_json(*route, "route", scratch);
    if (!route->IsSequence()) {
      report(v, location_of(*route), "field 'route': expected a list of {when, to}, got " +
                                         describe_node(*route),
             "e.g. 'route: [{when: \"$.country == 'DE'\", to: eu}, {to: us}]'");
    } else {
      bool unconditional = false;
      std::size_t i = 0;
      for (const auto& item : *route) {
        const std::string field = "route[" + std::to_string(i++) + "]";
        const Location at = location_of(item);
        if (unconditional) {
          report(v, at, "field '" + field + "' is never reached: an earlier route has no 'when'");
          continue;
        }
        if (!item.IsMap()) {
          report(v, at, "field '" + field + "': expected {when, to}, got " + describe_node(item));
          continue;
        }
        nlohmann::json r = validate_mapping(item, route_spec().fields(), field, at, {}, v);
        if (!r.contains("to")) continue;
        Route out{std::nullopt, r["to"].get<std::string>()};
        if (r.contains("when")) {
          out.when = parse_expression(r["when"].get<std::string>(), field + ".when",
                                      location(v, field + ".when", at), v);
        } else {
          unconditional = true;
        }
        spec->routes.push_back(std::move(out));
      }
    }
  }

  if (spec->model && v.errors.size() == errors_before) apply_model(*spec, target_at, map_at, v);
  if (v.errors.size() == errors_before) check_time_options(*spec, target_at, v);
  if (v.errors.size() != errors_before) return nullptr;
  spec->fingerprint = fingerprint.dump();
  return spec;
}

}  // namespace weft

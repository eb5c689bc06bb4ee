#include "mapper/mapping.h"

#include <unordered_map>

namespace weft {

// The part of the source documents the mapping reads, as a tree of object keys. A leaf is read
// whole (or through an array), so nothing below it is "unknown"; a key an object in the source
// has but its tree node lacks is schema drift.
struct Mapper::KnownTree {
  bool leaf = false;
  std::unordered_map<std::string, std::unique_ptr<KnownTree>> children;

  void add(const std::vector<std::string>& names) {
    KnownTree* node = this;
    for (const auto& name : names) {
      if (node->leaf) return;
      auto& child = node->children[name];
      if (!child) child = std::make_unique<KnownTree>();
      node = child.get();
    }
    node->leaf = true;
    node->children.clear();
  }

  void add(const ValuePath& path) {
    if (const JsonPath* json = path.value_path()) add(json->leading_names());
  }

  void add(const Expression& expression) {
    for (const auto& path : expression.paths()) add(path);
  }

  // Calls `unknown(name)` for every key of `value` the tree lacks, with its dotted name built in
  // `name` (which holds the prefix on entry and is restored on return): no allocation per key.
  template <typename Visit>
  void visit_unknown(const nlohmann::json& value, std::string& name, const Visit& unknown) const {
    if (leaf || !value.is_object()) return;
    const std::size_t prefix = name.size();
    for (const auto& [key, member] : value.items()) {
      name.append(key);
      auto it = children.find(key);
      if (it == children.end()) {
        unknown(std::string_view(name));
      } else {
        name.push_back('.');
        it->second->visit_unknown(member, name, unknown);
      }
      name.resize(prefix);
    }
  }
};

namespace {

// Text for a crosswalk external id: strings as they are, numbers as JSON ("42").
std::string id_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

Mapper::Mapper(std::shared_ptr<const MappingSpec> spec, Crosswalk* crosswalk)
    : spec_(std::move(spec)), crosswalk_(crosswalk) {
  auto known = std::make_shared<KnownTree>();
  if (spec_->fields.empty()) {
    if (spec_->model) {
      for (const auto& field : spec_->model->fields) known->add(field.segments);
    } else {
      known->leaf = true;  // the record passes through whole: nothing is unknown
    }
  }
  for (const auto& rule : spec_->fields) {
    for (const auto& path : rule.from) known->add(path);
    if (rule.crosswalk) known->add(rule.crosswalk->from);
    for (const auto& c : rule.cases) {
      if (c.when) known->add(*c.when);
      if (c.from) known->add(*c.from);
    }
    for (const auto& step : rule.functions) {
      for (const auto& arg : step.args) known->add(arg);
    }
  }
  if (spec_->keep_when) known->add(*spec_->keep_when);
  if (spec_->drop_when) known->add(*spec_->drop_when);
  known_ = std::move(known);
}

std::map<std::string, std::uint64_t> Mapper::unknown_fields() const {
  std::lock_guard lock(drift_mutex_);
  return {drift_.begin(), drift_.end()};
}

std::optional<nlohmann::json> Mapper::read_field(const FieldRule& rule, const Record& source,
                                                 const nlohmann::json& value, bool allow_create,
                                                 std::vector<Violation>& violations,
                                                 std::optional<Error>& store_error) const {
  auto violate = [&](std::string what, std::string message) {
    violations.push_back(Violation{rule.target, std::move(what), std::move(message)});
  };
  nlohmann::json scratch;
  nlohmann::json current;
  if (rule.constant) {
    current = *rule.constant;
  } else if (!rule.cases.empty()) {
    for (const Case& c : rule.cases) {
      if (c.when && !c.when->test(source, value)) continue;
      if (c.value) {
        current = *c.value;
      } else if (const nlohmann::json* found = c.from->find(source, value, scratch)) {
        current = *found;
      }
      break;
    }
  } else if (rule.crosswalk) {
    const CrosswalkRule& xw = *rule.crosswalk;
    if (crosswalk_ == nullptr) {
      violate("crosswalk", "no crosswalk store is available here");
      return std::nullopt;
    }
    if (const nlohmann::json* external = xw.from.find(source, value, scratch)) {
      OnMissing on_missing = xw.on_missing;
      if (!allow_create && on_missing == OnMissing::kCreate) on_missing = OnMissing::kNull;
      auto canonical =
          crosswalk_->to_canonical(xw.entity, xw.system, id_text(*external), on_missing, xw.mint);
      if (!canonical.ok()) {
        if (canonical.error().kind() != ErrorKind::kPermanent) {
          store_error = canonical.error();
        } else {
          violate("crosswalk", canonical.error().message());
        }
        return std::nullopt;
      }
      if (*canonical) current = std::move(**canonical);
    }
  } else {
    for (const auto& path : rule.from) {
      if (const nlohmann::json* found = path.find(source, value, scratch)) {
        current = *found;
        break;
      }
    }
  }
  if (!rule.functions.empty()) {
    FunctionContext context{};
    for (const auto& step : rule.functions) {
      if (step.function == Function::kNow) context.now = Clock::now();  // only rules that ask
    }
    std::vector<nlohmann::json> args;
    for (const auto& step : rule.functions) {
      args.clear();
      for (const auto& arg : step.args) args.push_back(arg.evaluate(source, value));
      auto out = call_function(step.function, current, args, context);
      if (!out.ok()) {
        violate("fn " + step.text, rule.pii ? "failed (value hidden: pii)" : out.error().message());
        return std::nullopt;
      }
      current = std::move(*out);
    }
  }
  if (current.is_null() && rule.default_value) current = *rule.default_value;
  if (current.is_null()) return std::nullopt;
  if (rule.type) {
    auto coerced = coerce(current, *rule.type, rule.coerce);
    if (!coerced.ok()) {
      violate("type " + rule.type->name(),
              rule.pii ? "(value hidden: pii) is not a valid " + rule.type->name()
                       : coerced.error().message() + " (from " + rule.source_text + ")");
      return std::nullopt;
    }
    current = std::move(*coerced);
  }
  return current;
}

Result<nlohmann::json> Mapper::map_value(const Record& source, const nlohmann::json& value,
                                         bool allow_create,
                                         std::vector<Violation>& violations) const {
  const MappingSpec& spec = *spec_;
  if (spec.fields.empty()) return value;
  nlohmann::json out = nlohmann::json::object();
  std::optional<Error> store_error;
  for (const auto& rule : spec.fields) {
    auto field = read_field(rule, source, value, allow_create, violations, store_error);
    if (store_error) return *store_error;
    if (field) set_nested(out, rule.segments, std::move(*field));
  }
  return out;
}

bool Mapper::filtered_out(const Record& source, const nlohmann::json& value) const {
  const MappingSpec& spec = *spec_;
  return (spec.keep_when && !spec.keep_when->test(source, value)) ||
         (spec.drop_when && spec.drop_when->test(source, value));
}

Status Mapper::prepare(const Batch& records) const {
  if (crosswalk_ == nullptr) return {};
  nlohmann::json scratch;
  std::vector<std::string> ids;
  for (const auto& rule : spec_->fields) {
    if (!rule.crosswalk) continue;
    const CrosswalkRule& xw = *rule.crosswalk;
    ids.clear();
    for (const auto& record : records) {
      if (!record.rejected.empty()) continue;  // dead-lettered, never mapped
      const nlohmann::json& value = record.value.json();
      if (value.is_discarded() || filtered_out(record, value)) continue;
      if (const nlohmann::json* external = xw.from.find(record, value, scratch)) {
        ids.push_back(id_text(*external));
      }
    }
    if (Status s = crosswalk_->prefetch(xw.entity, xw.system, ids, xw.on_missing, xw.mint); !s) {
      return s;
    }
  }
  return {};
}

MapResult Mapper::apply(const Record& source) const {
  const MappingSpec& spec = *spec_;
  MapResult result;
  const nlohmann::json& value = source.value.json();
  if (value.is_discarded()) {
    result.verdict = MapVerdict::kFailed;
    result.error = Error::permanent("the record's value is not valid JSON");
    return result;
  }
  if (filtered_out(source, value)) {
    result.verdict = MapVerdict::kFiltered;
    return result;
  }

  // Schema drift, counted for every record; the names are kept only for `unmapped: error`.
  std::vector<std::string> unknown;
  const bool keep_names = spec.model != nullptr && !spec.fields.empty() &&
                          spec.model->unmapped == UnmappedPolicy::kError;
  {
    thread_local std::string name;
    name.clear();
    // Locked only when the record has an unknown field: a record the mapping fully knows
    // touches no shared state.
    std::unique_lock lock(drift_mutex_, std::defer_lock);
    known_->visit_unknown(value, name, [&](std::string_view field) {
      if (!lock.owns_lock()) lock.lock();
      auto it = drift_.find(field);
      if (it == drift_.end()) {
        // Past kMaxDriftFields names, new ones share one entry: a source that invents field
        // names cannot grow the map (or the metric's series) without bound.
        it = drift_.try_emplace(drift_.size() >= kMaxDriftFields ? std::string("(other)")
                                                                  : std::string(field),
                                0)
                 .first;
      }
      ++it->second;
      if (keep_names) unknown.emplace_back(field);
    });
  }

  auto mapped = map_value(source, value, /*allow_create=*/true, result.violations);
  if (!mapped.ok()) {
    result.verdict = MapVerdict::kFailed;
    result.error = mapped.error();
    return result;
  }
  nlohmann::json& out = *mapped;
  const CanonicalModel* model = spec.model.get();
  if (!spec.fields.empty() && model != nullptr && value.is_object()) {
    if (model->unmapped == UnmappedPolicy::kKeep) {
      // Only what the mapping does not read is "unmapped"; a mapped field left empty stays so.
      for (const auto& item : value.items()) {
        if (known_->children.count(item.key()) == 0 && !out.contains(item.key())) {
          out[item.key()] = item.value();
        }
      }
    } else if (model->unmapped == UnmappedPolicy::kError) {
      for (const auto& name : unknown) {
        result.violations.push_back(
            Violation{name, "unmapped",
                      "the source has it but the mapping does not read it (model " + model->ref() +
                          " has unmapped: error)"});
      }
    }
  }
  // A map coerced every field it set to the model's type (apply_model gives each rule its
  // field's type), so unless `keep` copied raw source fields in, the check skips conversion.
  const bool typed = !spec.fields.empty() && model != nullptr &&
                     model->unmapped != UnmappedPolicy::kKeep;
  if (model != nullptr) model->conform(out, result.violations, typed);
  if (!result.violations.empty()) {
    result.verdict = MapVerdict::kFailed;
    result.error = Error::permanent(describe(result.violations));
    return result;
  }

  Record& record = result.record;
  record.key = source.key;
  record.op = source.op;
  record.headers = source.headers;
  record.id = source.id;
  record.event_time = source.event_time;
  record.ingest_time = source.ingest_time;
  record.position = source.position;
  if (source.before && !spec.fields.empty()) {
    std::vector<Violation> ignored;  // a before-image may legitimately lack required fields
    auto before = map_value(source, source.before->json(), /*allow_create=*/false, ignored);
    if (before.ok()) record.before = Payload::from_json(std::move(*before));
  } else {
    record.before = source.before;
  }
  for (const auto& route : spec.routes) {
    if (!route.when || route.when->test(source, out)) {
      record.headers.set(kRouteHeader, route.to);
      break;
    }
  }
  record.value = Payload::from_json(std::move(out));
  return result;
}

}  // namespace weft

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mapper/coerce.h"
#include "mapper/crosswalk.h"
#include "mapper/expression.h"
#include "mapper/functions.h"
#include "mapper/model.h"
#include "mapper/value_path.h"
#include "weft/record.h"

namespace weft {

// A function in a field's `fn` chain, resolved and with its arguments parsed.
struct FunctionStep {
  Function function;
  std::vector<Expression> args;
  std::string text;  // as written, for messages
};

struct CrosswalkRule {
  std::string entity;
  std::string system;
  ValuePath from;
  OnMissing on_missing = OnMissing::kCreate;
  MintMode mint = MintMode::kUuidV5;
};

// One alternative of a field's `cases`: when `when` holds for the source record (or there is no
// `when`), the field's value is `value`, or what `from` reads.
struct Case {
  std::optional<Expression> when;
  std::optional<nlohmann::json> value;
  std::optional<ValuePath> from;
};

// One target field of a `map:` section (docs/mapping.md). Its value is read (one of: a path,
// the first present of several, a constant, the first matching case, a crosswalk lookup, or
// nothing for `fn: [now]`),
// passed through `fn` in order, defaulted when still null, then coerced to `type`.
struct FieldRule {
  std::string target;                 // dotted for nested objects
  std::vector<std::string> segments;  // target split at the dots
  std::vector<ValuePath> from;        // one path, or coalesce's paths in order
  std::optional<nlohmann::json> constant;
  std::vector<Case> cases;
  std::optional<CrosswalkRule> crosswalk;
  std::vector<FunctionStep> functions;
  std::optional<nlohmann::json> default_value;
  std::optional<ValueType> type;  // the rule's own type, else the model field's
  CoerceOptions coerce;
  bool pii = false;  // from the model: the value never appears in messages
  std::string source_text;  // "$.a", "coalesce($.a, $.b)", "crosswalk customer/stripe": messages
};

// Where a record goes: the first route whose `when` holds (a route without `when` always does).
struct Route {
  std::optional<Expression> when;
  std::string to;
};

// A pipeline's mapping as configured and checked: everything but the runtime's crosswalk store.
// Immutable; shared by the pipeline config and the running mapper.
struct MappingSpec {
  std::shared_ptr<const CanonicalModel> model;  // null: no contract
  std::vector<FieldRule> fields;                // empty: the record passes as it is (then checked)
  std::optional<Expression> keep_when;          // filter: keep only matching records
  std::optional<Expression> drop_when;          // filter: drop matching records
  std::vector<Route> routes;
  // Everything above in canonical text form: part of the pipeline's fingerprint, so editing a
  // mapping or its model file restarts the pipeline on reload.
  std::string fingerprint;
};

// The header a route writes the chosen name into; sinks read it in templates ({_route}).
inline constexpr const char* kRouteHeader = "_route";

enum class MapVerdict { kMapped, kFiltered, kFailed };

struct MapResult {
  MapVerdict verdict = MapVerdict::kMapped;
  Record record;  // the mapped record (kMapped)
  // kFailed: what is wrong, every problem found (permanent), or the store's error when a
  // crosswalk lookup could not be made (retryable when the store is busy).
  std::optional<Error> error;
  std::vector<Violation> violations;
};

// Runs a MappingSpec over records. Thread-safe: apply() is const apart from counters and the
// crosswalk cache, which are synchronised.
class Mapper {
 public:
  // `crosswalk` may be null only when no field uses one.
  Mapper(std::shared_ptr<const MappingSpec> spec, Crosswalk* crosswalk);

  // Resolves the crosswalk ids of a batch's records (those the filter keeps) in bulk before
  // they are mapped one by one (Crosswalk::prefetch): a batch of new entities is linked in one
  // store transaction. Only the store's retryable errors are returned; wait and call again.
  Status prepare(const Batch& records) const;

  // Filter, map, validate. Sets the mapped record's value; copies key, op, headers, id, times
  // and position from `source` (a crosswalk-mapped key stays the source's). The before-image
  // is mapped with the same rules when present (without filter and crosswalk creation).
  MapResult apply(const Record& source) const;

  // Source fields the mapping does not read, by dotted name -> records seen with it (schema
  // drift). At most kMaxDriftFields names are tracked; later ones count under "(other)".
  static constexpr std::size_t kMaxDriftFields = 100;
  std::map<std::string, std::uint64_t> unknown_fields() const;

  const MappingSpec& spec() const { return *spec_; }

 private:
  struct KnownTree;
  Result<nlohmann::json> map_value(const Record& source, const nlohmann::json& value,
                                   bool allow_create, std::vector<Violation>& violations) const;
  std::optional<nlohmann::json> read_field(const FieldRule& rule, const Record& source,
                                           const nlohmann::json& value, bool allow_create,
                                           std::vector<Violation>& violations,
                                           std::optional<Error>& store_error) const;
  bool filtered_out(const Record& source, const nlohmann::json& value) const;

  std::shared_ptr<const MappingSpec> spec_;
  Crosswalk* crosswalk_;
  std::shared_ptr<const KnownTree> known_;
  mutable std::mutex drift_mutex_;
  mutable std::map<std::string, std::uint64_t, std::less<>> drift_;  // finds string_views
};

}  // namespace weft

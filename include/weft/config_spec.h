#pragma once

#include <optional>
#include <string>
#include <vector>

namespace weft {

enum class FieldType {
  kString,
  kPath,  // a file system path; a relative one resolves against the directory of the file
         // that sets it, so configs behave the same from any working directory
  kInteger,
  kNumber,
  kBoolean,
  kDuration,  // "250ms", "5s", "1m", "7d"; parsed to milliseconds
  kSize,      // "512", "64KiB", "10MB"; parsed to bytes
  kEnum,      // one of `allowed`
  kObject,    // nested fields, validated recursively
  kStringList,
  kStringMap,  // free-form string -> string (headers, labels)
  kObjectMap,  // free-form name -> object with `fields` (named shared resources)
};

const char* to_string(FieldType type);

// One configuration field of a connector or of the daemon. The same description validates
// YAML, fills in defaults, redacts secrets and generates the reference docs, so it is the
// single source of truth for a setting (as Redpanda Connect's and Vector's config specs are).
struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool is_required = false;
  std::optional<std::string> default_text;  // written as a user would write it in YAML
  std::optional<double> min_value;  // for numbers, durations (ms) and sizes (bytes)
  std::optional<double> max_value;
  std::vector<std::string> allowed;  // for kEnum
  std::string description_text;
  std::vector<std::string> examples;  // YAML scalars, shown in docs and checked by tests
  bool is_secret = false;
  std::vector<FieldSpec> fields;  // for kObject and kObjectMap (each value's fields)

  FieldSpec& required() { is_required = true; return *this; }
  FieldSpec& default_value(std::string text) { default_text = std::move(text); return *this; }
  FieldSpec& min(double v) { min_value = v; return *this; }
  FieldSpec& max(double v) { max_value = v; return *this; }
  FieldSpec& description(std::string text) { description_text = std::move(text); return *this; }
  FieldSpec& example(std::string text) { examples.push_back(std::move(text)); return *this; }
  FieldSpec& secret() { is_secret = true; return *this; }
  FieldSpec& one_of(std::vector<std::string> values) { allowed = std::move(values); return *this; }
};

// A fluent list of fields:
//   spec.string("path").required().description("File to write").example("/var/lib/out.jsonl");
// References returned by the adders stay valid until the next field is added to the same spec.
class ConfigSpec {
 public:
  FieldSpec& string(std::string name) { return add(std::move(name), FieldType::kString); }
  FieldSpec& path(std::string name) { return add(std::move(name), FieldType::kPath); }
  FieldSpec& integer(std::string name) { return add(std::move(name), FieldType::kInteger); }
  FieldSpec& number(std::string name) { return add(std::move(name), FieldType::kNumber); }
  FieldSpec& boolean(std::string name) { return add(std::move(name), FieldType::kBoolean); }
  FieldSpec& duration(std::string name) { return add(std::move(name), FieldType::kDuration); }
  FieldSpec& size(std::string name) { return add(std::move(name), FieldType::kSize); }
  FieldSpec& enumeration(std::string name, std::vector<std::string> values) {
    return add(std::move(name), FieldType::kEnum).one_of(std::move(values));
  }
  FieldSpec& string_list(std::string name) { return add(std::move(name), FieldType::kStringList); }
  FieldSpec& string_map(std::string name) { return add(std::move(name), FieldType::kStringMap); }
  FieldSpec& object(std::string name, const ConfigSpec& nested) {
    FieldSpec& f = add(std::move(name), FieldType::kObject);
    f.fields = nested.fields();
    return f;
  }
  // A mapping from names the user chooses to objects described by `nested`.
  FieldSpec& object_map(std::string name, const ConfigSpec& nested) {
    FieldSpec& f = add(std::move(name), FieldType::kObjectMap);
    f.fields = nested.fields();
    return f;
  }

  const std::vector<FieldSpec>& fields() const { return fields_; }
  const FieldSpec* find(const std::string& name) const {
    for (const auto& f : fields_) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

 private:
  FieldSpec& add(std::string name, FieldType type) {
    FieldSpec f;
    f.name = std::move(name);
    f.type = type;
    fields_.push_back(std::move(f));
    return fields_.back();
  }

  std::vector<FieldSpec> fields_;
};

}  // namespace weft

#include "config/pipeline_scaffold.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string_view>

#include "config/pipeline_config.h"
#include "config/scaffold_example.h"

namespace weft {
namespace {

constexpr std::size_t kWidth = 100;

// Whether `text` can be written as a plain YAML scalar and read back as the same text (in a
// flow collection, `flow`, also without , [ ] { }). Conservative: when in doubt, quote.
bool plain_ok(std::string_view text, bool flow) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ' || text.back() == ':') {
    return false;
  }
  constexpr std::string_view kIndicators = "?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(text.front()) != std::string_view::npos) return false;
  if (text.front() == '-' &&
      (text.size() == 1 || !std::isdigit(static_cast<unsigned char>(text[1])))) {
    return false;
  }
  if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos ||
      text.find_first_of("\t\n\r") != std::string_view::npos) {
    return false;
  }
  return !flow || text.find_first_of(",[]{}") == std::string_view::npos;
}

std::string single_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A parsed value of a documented example, written back as YAML (collections in flow style).
std::string node_text(const YAML::Node& node, bool flow) {
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    const bool was_quoted = node.Tag() == "!";
    return was_quoted || !plain_ok(text, flow) ? single_quoted(text) : text;
  }
  std::string out;
  if (node.IsSequence()) {
    for (const auto& item : node) out += (out.empty() ? "" : ", ") + node_text(item, true);
    return "[" + out + "]";
  }
  if (node.IsMap()) {
    for (const auto& item : node) {
      out += (out.empty() ? "" : ", ") + node_text(item.first, true) + ": " +
             node_text(item.second, true);
    }
    return "{" + out + "}";
  }
  return "";
}

bool is_collection(FieldType type) {
  return type == FieldType::kStringList || type == FieldType::kStringMap ||
         type == FieldType::kObjectMap || type == FieldType::kObject;
}

// A default or example from a spec (YAML as a user writes it), made safe for a scalar field:
// a value like `{body}` or `,` would not read back as that text.
std::string spec_text(const FieldSpec& field, const std::string& text) {
  if (is_collection(field.type)) return text;
  const bool quoted = text.size() >= 2 && (text.front() == '\'' || text.front() == '"') &&
                      text.back() == text.front();
  return quoted || plain_ok(text, false) ? text : single_quoted(text);
}

std::string placeholder(const FieldSpec& field) {
  switch (field.type) {
    case FieldType::kInteger:
    case FieldType::kNumber:
      return field.min_value ? std::to_string(static_cast<long long>(*field.min_value)) : "0";
    case FieldType::kBoolean:
      return "false";
    case FieldType::kDuration:
      return "1m";
    case FieldType::kSize:
      return "1MiB";
    case FieldType::kEnum:
      return field.allowed.empty() ? "''" : field.allowed.front();
    case FieldType::kStringList:
      return "[change-me]";
    case FieldType::kStringMap:
      return "{}";
    default:
      return "change-me";
  }
}

// The description's first sentence, ending with a period: a comment line, not the reference.
std::string first_sentence(const std::string& text) {
  int depth = 0;
  bool code = false;
  std::size_t end = text.size();
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c == '`') code = !code;
    if (code) continue;
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (c != '.' || depth > 0 || text[i + 1] != ' ') continue;
    const std::string_view before = std::string_view(text).substr(0, i);
    if (before.ends_with("e.g") || before.ends_with("i.e") || before.ends_with("etc")) continue;
    end = i + 1;
    break;
  }
  std::string out = text.substr(0, end);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (!out.empty() && std::isalnum(static_cast<unsigned char>(out.back()))) out += '.';
  return out;
}

// "ORDERS_SIGNATURE_SECRET" for pipeline orders and field signature.secret ("_9LIVES_..." for a
// name that starts with a digit, which a variable name cannot).
std::string variable_name(const std::string& pipeline, const std::string& path) {
  std::string out = std::isdigit(static_cast<unsigned char>(pipeline.front())) ? "_" : "";
  for (char c : pipeline + "_" + path) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  }
  return out;
}

class Writer {
 public:
  explicit Writer(std::string pipeline) : pipeline_(std::move(pipeline)) {}

  // The fields of one block at `indent`, those that are set first; `example` is the block's
  // documented example (null when there is none) and `path` its dotted name. `keep`, when given,
  // says which optional fields are set; else those the example sets to a non-default value are.
  void fields(const std::vector<FieldSpec>& specs, const YAML::Node& example, std::size_t indent,
              const std::string& path, const std::set<std::string>* keep = nullptr) {
    std::vector<const FieldSpec*> set, unset;
    for (const FieldSpec& f : specs) {
      const bool is = keep != nullptr ? f.is_required || keep->contains(f.name)
                                      : is_set(f, lookup(example, f.name));
      (is && !commented() ? set : unset).push_back(&f);
    }
    for (const FieldSpec* f : set) field(*f, lookup(example, f->name), indent, path);
    if (!set.empty() && !unset.empty() && !commented() && indent == 2) {
      line(indent, "# Optional settings, commented out with their defaults:");
    }
    for (const FieldSpec* f : unset) {
      const bool outer = !commented();
      if (outer) comment_at_ = indent;
      field(*f, lookup(example, f->name), indent, path);
      if (outer) comment_at_.reset();
    }
  }

  // A block of commented-out fields at the top level (the pipeline's runtime settings).
  void commented_top_level(const FieldSpec& f) {
    comment_at_ = 0;
    field(f, YAML::Node(), 0, "");
    comment_at_.reset();
  }

  void line(std::size_t indent, const std::string& content) {
    if (comment_at_) {
      out_ += std::string(*comment_at_, ' ') + "# " + std::string(indent - *comment_at_, ' ');
    } else {
      out_ += std::string(indent, ' ');
    }
    out_ += content + "\n";
  }

  // `text` as comment lines at `indent`, flowed to the width.
  void comment(std::size_t indent, const std::string& text) {
    const std::size_t prefix = indent + (comment_at_ ? 2 : 0) + 2;
    const std::size_t room = kWidth > prefix + 20 ? kWidth - prefix : 20;
    std::string current;
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t space = text.find(' ', i);
      const std::string word = text.substr(i, space == std::string::npos ? space : space - i);
      i = space == std::string::npos ? text.size() : space + 1;
      if (!current.empty() && current.size() + 1 + word.size() > room) {
        line(indent, "# " + current);
        current.clear();
      }
      current += (current.empty() ? "" : " ") + word;
    }
    if (!current.empty()) line(indent, "# " + current);
  }

  std::string take() { return std::move(out_); }
  const std::vector<std::string>& variables() const { return variables_; }

 private:
  static YAML::Node lookup(const YAML::Node& map, const std::string& key) {
    if (!map || !map.IsMap()) return YAML::Node();
    for (const auto& item : map) {
      if (item.first.IsScalar() && item.first.Scalar() == key) return item.second;
    }
    return YAML::Node();
  }

  // Required, or set by the example to something else than the default.
  static bool is_set(const FieldSpec& f, const YAML::Node& example) {
    if (f.is_required) return true;
    if (!example || example.IsNull()) return false;
    if (f.type == FieldType::kObject) {
      return std::any_of(f.fields.begin(), f.fields.end(), [&](const FieldSpec& sub) {
        return is_set(sub, lookup(example, sub.name));
      });
    }
    return !(example.IsScalar() && f.default_text && example.Scalar() == *f.default_text);
  }

  bool commented() const { return comment_at_.has_value(); }

  void field(const FieldSpec& f, const YAML::Node& example, std::size_t indent,
             const std::string& parent) {
    const std::string path = parent.empty() ? f.name : parent + "." + f.name;
    comment(indent, first_sentence(f.description_text));
    if (f.type == FieldType::kObject) {
      line(indent, f.name + ":");
      fields(f.fields, example, indent + 2, path);
      return;
    }
    if (f.type == FieldType::kObjectMap) {
      line(indent, f.name + ":");
      line(indent + 2, "<name>:");
      fields(f.fields, YAML::Node(), indent + 4, path + ".<name>");
      return;
    }
    std::string value;
    bool is_default = false;
    if (commented() && f.default_text) {
      value = spec_text(f, *f.default_text);
      is_default = true;
    } else if (example && !example.IsNull()) {
      value = node_text(example, false);
    } else if (!f.examples.empty()) {
      value = spec_text(f, f.examples.front());
    } else if (f.default_text) {
      value = spec_text(f, *f.default_text);
      is_default = true;
    } else {
      value = placeholder(f);
    }
    if (f.is_secret && value.find("${") == std::string::npos) {
      const std::string reference = "\"${" + variable_name(pipeline_, path) + "}\"";
      value = f.type == FieldType::kStringList ? "[" + reference + "]" : reference;
    }
    if (!commented()) note_variables(value);
    const char* note = !commented() || is_default ? ""
                       : f.is_required            ? "  # required"
                                                  : "  # no default";
    line(indent, f.name + ": " + value + note);
  }

  // Remembers the ${NAME} and ${NAME:-default} references of a value that is set.
  void note_variables(const std::string& value) {
    for (std::size_t at = value.find("${"); at != std::string::npos;
         at = value.find("${", at + 2)) {
      if (at > 0 && value[at - 1] == '$') continue;  // $${ is a literal
      std::size_t end = at + 2;
      while (end < value.size() &&
             (std::isalnum(static_cast<unsigned char>(value[end])) || value[end] == '_')) {
        ++end;
      }
      const std::string name = value.substr(at + 2, end - at - 2);
      if (name.empty() || end >= value.size() || value[end] != '}') continue;
      if (std::find(variables_.begin(), variables_.end(), name) == variables_.end()) {
        variables_.push_back(name);
      }
    }
  }

  std::string pipeline_;
  std::string out_;
  std::optional<std::size_t> comment_at_;  // set: lines are commented out from this column
  std::vector<std::string> variables_;
};

void connector(Writer& w, const char* key, const ConnectorInfo& info) {
  w.line(0, std::string(key) + ":");
  w.line(2, "type: " + info.type);
  const YAML::Node example = parse_example(info);
  const std::set<std::string> keep = needed_fields(info, example);
  w.fields(info.spec.fields(), example, 2, "", &keep);
}

}  // namespace

Scaffold render_pipeline_scaffold(const ScaffoldRequest& request) {
  Writer body(request.name);
  body.line(0, "name: " + request.name);
  body.line(0, "");
  connector(body, "source", *request.source);
  body.line(0, "");
  connector(body, "sink", *request.sink);
  body.line(0, "");
  body.comment(0,
               "Pipeline settings, all optional: uncomment a block to change its defaults "
               "(docs/configuration.md, docs/delivery.md). Mapping records on the way (model, "
               "map, filter, route) is described in docs/mapping.md; try one with weft map.");
  for (const FieldSpec& f : pipeline_runtime_spec().fields()) {
    body.line(0, "");
    body.commented_top_level(f);
  }

  Scaffold out;
  out.variables = body.variables();
  Writer header(request.name);
  header.comment(0, "Pipeline " + request.name + ": from a " + request.source->type +
                        " source to a " + request.sink->type + " sink.");
  header.line(0, "# Written by: " + request.command);
  header.comment(0,
                 "The settings that are set hold examples: replace them. The others are "
                 "commented out with their defaults. `weft spec <type>` describes every "
                 "setting; `weft validate <this file>` checks it.");
  std::string variables;
  for (const auto& v : out.variables) variables += (variables.empty() ? "" : ", ") + v;
  header.comment(0, "Environment variables it reads: " +
                        (variables.empty() ? std::string("none") : variables) + ".");
  out.text = header.take() + "\n" + body.take();
  return out;
}

}  // namespace weft

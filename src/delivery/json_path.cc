#include "delivery/json_path.h"

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

namespace weft {

namespace {

// Characters that end an unquoted field name or may never appear in one.
bool ends_name(char c) {
  return c == '.' || c == '[' || c == ']' || c == '{' || c == '}' || c == '\'' || c == '"' ||
         std::isspace(static_cast<unsigned char>(c));
}

// Names that display as `a.b`; anything else displays as `['a b']`.
bool plain_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (ends_name(c)) return false;
  }
  return true;
}

const char* with_article(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::binary:
      return "binary";
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::discarded:
      return "not valid JSON";
  }
  return "unknown";
}

}  // namespace

Result<JsonPath> JsonPath::parse(std::string_view text, std::size_t offset,
                                 bool allow_wildcards) {
  JsonPath path;
  path.text_ = std::string(text);
  auto fail = [&](std::size_t i, const std::string& what) -> Error {
    return Error::invalid_config("bad JSON path '" + path.text_ + "': " + what + " at character " +
                                 std::to_string(offset + i + 1));
  };
  if (text.empty() || text[0] != '$') return fail(0, "a path must start with '$'");

  std::size_t i = 1;
  while (i < text.size()) {
    const std::size_t step_start = i;
    const bool star = (text[i] == '.' && text.substr(i, 2) == ".*") || text.substr(i, 3) == "[*]";
    if (star) {
      if (!allow_wildcards) return fail(i, "wildcards are not allowed here (one value is needed)");
      Step step;
      step.is_wildcard = true;
      path.steps_.push_back(std::move(step));
      path.has_wildcard_ = true;
      i += text[i] == '.' ? 2 : 3;
    } else if (text[i] == '.') {
      ++i;
      const std::size_t begin = i;
      while (i < text.size() && !ends_name(text[i])) ++i;
      if (i == begin) return fail(step_start, "empty field name after '.'");
      path.steps_.push_back(Step{std::string(text.substr(begin, i - begin))});
    } else if (text[i] == '[') {
      ++i;
      if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        const char quote = text[i++];
        std::string name;
        while (i < text.size() && text[i] != quote) {
          if (text[i] == '\\' && i + 1 < text.size()) ++i;
          name += text[i++];
        }
        if (i == text.size()) return fail(step_start, "unclosed quote in '['");
        ++i;  // the closing quote
        if (i == text.size() || text[i] != ']') return fail(i, "expected ']' after the quoted key");
        ++i;
        path.steps_.push_back(Step{std::move(name)});
      } else {
        const std::size_t begin = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        if (i == begin || i == text.size() || text[i] != ']') {
          return fail(step_start, allow_wildcards
                                      ? "expected an index like [0], [*] or a quoted key like ['name']"
                                      : "expected an index like [0] or a quoted key like ['name']");
        }
        Step step;
        step.is_index = true;
        auto [end, ec] = std::from_chars(text.data() + begin, text.data() + i, step.index);
        if (ec != std::errc{}) return fail(begin, "index too large");
        ++i;  // the ']'
        path.steps_.push_back(std::move(step));
      }
    } else {
      return fail(i, std::string("unexpected '") + text[i] + "' (expected '.' or '[')");
    }
  }
  return path;
}

Result<const nlohmann::json*> JsonPath::find(const nlohmann::json& root) const {
  const nlohmann::json* value = &root;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    // What failed, said about the value we are standing on.
    auto missing = [&](const std::string& why) {
      return Error::permanent("field '" + display() + "' is missing" +
                              (why.empty() ? "" : " (" + why + ")"));
    };
    const std::string here = i == 0 ? "the value" : "'" + display(i) + "'";
    if (value->is_null() && i > 0) return missing(here + " is null");
    if (step.is_index) {
      if (!value->is_array()) {
        return missing(here + " is " + with_article(*value) + ", not an array");
      }
      if (step.index >= value->size()) {
        return missing(here + " has " + std::to_string(value->size()) + " elements");
      }
      value = &(*value)[step.index];
    } else {
      if (!value->is_object()) {
        return missing(here + " is " + with_article(*value) + ", not an object");
      }
      auto it = value->find(step.name);
      if (it == value->end()) {
        // The last step speaks for itself; an earlier one says where the walk stopped.
        return missing(i + 1 == steps_.size() ? "" : here + " has no '" + step.name + "'");
      }
      value = &*it;
    }
  }
  if (value->is_null()) return Error::permanent("field '" + display() + "' is null");
  return value;
}

const nlohmann::json* JsonPath::lookup(const nlohmann::json& root) const {
  const nlohmann::json* value = &root;
  for (const Step& step : steps_) {
    if (step.is_index) {
      if (!value->is_array() || step.index >= value->size()) return nullptr;
      value = &(*value)[step.index];
    } else {
      if (!value->is_object()) return nullptr;
      auto it = value->find(step.name);
      if (it == value->end()) return nullptr;
      value = &*it;
    }
  }
  return value->is_null() ? nullptr : value;
}

void JsonPath::collect(const nlohmann::json& root, nlohmann::json& out) const {
  collect_from(root, 0, out);
}

void JsonPath::collect_from(const nlohmann::json& value, std::size_t step,
                            nlohmann::json& out) const {
  if (value.is_null()) return;
  if (step == steps_.size()) {
    out.push_back(value);
    return;
  }
  const Step& s = steps_[step];
  if (s.is_wildcard) {
    if (value.is_array() || value.is_object()) {
      for (const auto& element : value) collect_from(element, step + 1, out);
    }
  } else if (s.is_index) {
    if (value.is_array() && s.index < value.size()) collect_from(value[s.index], step + 1, out);
  } else if (value.is_object()) {
    auto it = value.find(s.name);
    if (it != value.end()) collect_from(*it, step + 1, out);
  }
}

const std::string& JsonPath::first_name() const {
  static const std::string kNone;
  if (steps_.empty() || steps_[0].is_index || steps_[0].is_wildcard) return kNone;
  return steps_[0].name;
}

std::vector<std::string> JsonPath::leading_names() const {
  std::vector<std::string> names;
  for (const Step& step : steps_) {
    if (step.is_index || step.is_wildcard) break;
    names.push_back(step.name);
  }
  return names;
}

std::optional<std::string> JsonPath::json_pointer() const {
  std::string out;
  for (const Step& step : steps_) {
    if (step.is_wildcard) return std::nullopt;
    out += '/';
    if (step.is_index) {
      out += std::to_string(step.index);
      continue;
    }
    for (char c : step.name) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string JsonPath::display(std::size_t steps) const {
  if (steps == 0) return "$";
  std::string out;
  for (std::size_t i = 0; i < steps; ++i) {
    const Step& step = steps_[i];
    if (step.is_wildcard) {
      out += "[*]";
    } else if (step.is_index) {
      out += "[" + std::to_string(step.index) + "]";
    } else if (plain_name(step.name)) {
      if (i > 0) out += '.';
      out += step.name;
    } else {
      std::string escaped;
      for (char c : step.name) {
        if (c == '\'' || c == '\\') escaped += '\\';
        escaped += c;
      }
      out += "['" + escaped + "']";
    }
  }
  return out;
}

}  // namespace weft

#include "config/interpolate.h"

#include <cctype>
#include <optional>

namespace weft {
namespace {

bool valid_variable_name(std::string_view name) {
  if (name.empty()) return false;
  const auto first = static_cast<unsigned char>(name[0]);
  if (!std::isalpha(first) && first != '_') return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && u != '_') return false;
  }
  return true;
}

Interpolation failure(std::string error, std::string hint) {
  Interpolation out;
  out.error = std::move(error);
  out.hint = std::move(hint);
  return out;
}

// Resolves the text between "${" and "}" into `out`; returns a failure or an ok() result.
Interpolation resolve(std::string_view ref, const Environment& env, std::string& out) {
  constexpr std::string_view kFile = "file:";
  if (ref.substr(0, kFile.size()) == kFile) {
    const std::string path(ref.substr(kFile.size()));
    if (path.empty()) return failure("empty path in '${file:}'", "write ${file:/path/to/secret}");
    std::optional<std::string> content = env.file ? env.file(path) : std::nullopt;
    if (!content) {
      return failure("cannot read file '" + path + "' referenced by ${file:...}",
                     "check that the file exists and is readable by the weft process");
    }
    out += *content;
    return {};
  }
  std::string_view name = ref;
  std::optional<std::string_view> fallback;
  if (auto sep = ref.find(":-"); sep != std::string_view::npos) {
    name = ref.substr(0, sep);
    fallback = ref.substr(sep + 2);
  }
  if (!valid_variable_name(name)) {
    return failure("invalid variable name '" + std::string(name) + "' in '${...}'",
                   "names are letters, digits and '_'; write $${ for a literal '${'");
  }
  if (fallback && fallback->find("${") != std::string_view::npos) {
    return failure("nested '${' in the default of ${" + std::string(name) + ":-...}",
                   "defaults are taken literally; nesting is not supported");
  }
  std::optional<std::string> value = env.variable ? env.variable(std::string(name)) : std::nullopt;
  if (fallback && (!value || value->empty())) {
    out += *fallback;
    return {};
  }
  if (!value) {
    return failure("environment variable '" + std::string(name) + "' is not set",
                   "set it, or give a default with ${" + std::string(name) + ":-value}");
  }
  out += *value;
  return {};
}

}  // namespace

Interpolation interpolate(std::string_view text, const Environment& env) {
  Interpolation result;
  std::string& out = result.value;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return failure("unterminated '${' (no closing '}')", "write $${ for a literal '${'");
    }
    Interpolation step = resolve(text.substr(i + 2, close - i - 2), env, out);
    if (!step.ok()) return step;
    i = close + 1;
  }
  return result;
}

}  // namespace weft

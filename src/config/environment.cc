#include "config/environment.h"

#include <cstdlib>

#include "config/file_io.h"

namespace weft {

Environment Environment::process() {
  Environment env;
  env.variable = [](const std::string& name) -> std::optional<std::string> {
    // getenv is safe as long as nobody calls setenv concurrently; weft never does after start.
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.file = [](const std::string& path) -> std::optional<std::string> {
    FileText read = read_whole_file(path);
    if (!read.text) return std::nullopt;
    std::string& text = *read.text;
    // Secret files are usually written by `echo` or an editor: one trailing newline is not
    // part of the secret. Exactly one is removed so deliberate blank lines survive.
    if (!text.empty() && text.back() == '\n') {
      text.pop_back();
      if (!text.empty() && text.back() == '\r') text.pop_back();
    }
    return std::move(text);
  };
  return env;
}

}  // namespace weft

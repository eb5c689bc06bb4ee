#include <cstdio>

#include "cli/commands.h"
#include "cli/help/help.h"

namespace weft::cli {

std::optional<long> parse_positive_integer(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional(value) : std::nullopt;
}

std::optional<int> parse_common_args(const std::vector<std::string>& args, const char* verb,
                                     bool accepts_paths, CommonArgs& out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return print_help(verb);
    if (arg == "--config" && i + 1 < args.size()) {
      out.config_path = args[++i];
    } else if (arg == "--config") {
      return usage_error(verb, "--config needs a value");
    } else if (accepts_paths && !arg.empty() && arg[0] != '-') {
      out.paths.push_back(arg);
    } else {
      return usage_error(verb, "unexpected argument '" + arg + "'");
    }
  }
  return std::nullopt;
}

}  // namespace weft::cli

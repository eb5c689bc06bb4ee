// `weft help [COMMAND]` (the same as `weft COMMAND --help`) and `weft version`.
#include <cstdio>

#include "cli/commands.h"
#include "cli/help/help.h"
#include "weft/version.h"

namespace weft::cli {

int help_command(const std::vector<std::string>& args) {
  if (args.empty()) return print_help("");
  if (args[0] == "--help" || args[0] == "-h") return print_help("help");
  if (args.size() > 1) return usage_error("help", "unexpected argument '" + args[1] + "'");
  if (find_command_doc(args[0]) == nullptr) {
    return usage_error("help", "no command named '" + args[0] + "'");
  }
  return print_help(args[0]);
}

int version_command(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) return print_help("version");
  if (!args.empty()) return usage_error("version", "unexpected argument '" + args[0] + "'");
  std::printf("weft %s\n", weft::kVersion);
  return kExitOk;
}

}  // namespace weft::cli

// `weft completion bash`: prints the bash completion script generated from the verbs' manuals
// (cli/help/completion_script.cc). config/completion/weft.bash is a copy, which a test keeps
// equal to this output.
#include <cstdio>

#include "cli/commands.h"
#include "cli/help/help.h"

namespace weft::cli {

int completion_command(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") return print_help("completion");
  }
  if (args.empty()) return usage_error("completion", "say which shell: weft completion bash");
  if (args[0] != "bash") {
    return usage_error("completion", "no completion for '" + args[0] + "'; only bash is supported");
  }
  if (args.size() > 1) return usage_error("completion", "unexpected argument '" + args[1] + "'");
  std::fputs(bash_completion_script().c_str(), stdout);
  return kExitOk;
}

}  // namespace weft::cli

// weft: the command line. Dispatches to one function per verb; the verbs' manuals are in
// src/cli/help/.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/help/help.h"
#include "common/suggest.h"

namespace weft::cli {
namespace {

using Verb = int (*)(const std::vector<std::string>&);

Verb find_verb(const std::string& name) {
  if (name == "run") return run_command;
  if (name == "validate") return validate_command;
  if (name == "init") return init_command;
  if (name == "spec") return spec_command;
  if (name == "status") return status_command;
  if (name == "top") return top_command;
  if (name == "tap") return tap_command;
  if (name == "pause") return pause_command;
  if (name == "resume") return resume_command;
  if (name == "trigger") return trigger_command;
  if (name == "dlq") return dlq_command;
  if (name == "crosswalk") return crosswalk_command;
  if (name == "map") return map_command;
  if (name == "files") return files_command;
  if (name == "completion") return completion_command;
  if (name == "help") return help_command;
  if (name == "version" || name == "--version") return version_command;
  return nullptr;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return missing_command("");
  if (args[0] == "--help" || args[0] == "-h") return print_help("");
  std::string verb = args[0];
  args.erase(args.begin());
  if (const Verb command = find_verb(verb)) return command(args);

  std::vector<std::string> verbs;
  for (const CommandDoc& doc : command_docs()) verbs.emplace_back(doc.name);
  std::string message =
      (verb.starts_with("-") ? "weft: unknown option '" : "weft: unknown command '") + verb + "'";
  if (const auto close = closest_match(verb, verbs)) message += "; did you mean '" + *close + "'?";
  std::fprintf(stderr, "%s\n", message.c_str());
  return missing_command("");
}

}  // namespace weft::cli

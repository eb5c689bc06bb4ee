// weft: the command line. Dispatches to one function per verb.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "weft/version.h"

namespace {

constexpr const char* kUsage = R"(weft - integration runtime daemon

Usage: weft <command> [options]

Commands:
  run       Run the daemon (pipelines, admin server) until SIGTERM or SIGINT
  validate  Check the daemon config and pipeline files; report every error
  spec      Describe connectors and their settings
  status    Show every pipeline of the running daemon: state, rates, DLQ, breaker, freshness
  top       The status table, refreshed in place (single keys: q quit, n/r/e sort)
  pause     Pause a pipeline: it finishes in-flight records, commits, and stops reading
  resume    Resume a paused pipeline
  tap       Print records as they pass a pipeline's source, mapping or sink (JSON lines)
  dlq       List, show, replay or purge dead letters (list|show|replay|purge)
  crosswalk Look up, link, import or export crosswalk ids (get|put|import|export)
  map       Run a pipeline's mapping on sample records (JSON lines on stdin)
  trigger   Start a scheduled pipeline's next run now (rest sources)
  files     Make a files source read processed objects again (forget)
  version   Print the version

Run 'weft <command> --help' for a command's options.
)";

}  // namespace

namespace weft::cli {

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitConfig : kExitOk;
  }
  std::string verb = args[0];
  args.erase(args.begin());
  if (verb == "run") return run_command(args);
  if (verb == "validate") return validate_command(args);
  if (verb == "spec") return spec_command(args);
  if (verb == "dlq") return dlq_command(args);
  if (verb == "crosswalk") return crosswalk_command(args);
  if (verb == "map") return map_command(args);
  if (verb == "trigger") return trigger_command(args);
  if (verb == "files") return files_command(args);
  if (verb == "status") return status_command(args);
  if (verb == "top") return top_command(args);
  if (verb == "pause") return pause_command(args);
  if (verb == "resume") return resume_command(args);
  if (verb == "tap") return tap_command(args);
  if (verb == "version" || verb == "--version") {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      std::puts("Usage: weft version\n\nPrints the weft version.");
      return kExitOk;
    }
    std::printf("weft %s\n", weft::kVersion);
    return kExitOk;
  }
  std::fprintf(stderr, "weft: unknown command '%s'\n\n%s", verb.c_str(), kUsage);
  return kExitConfig;
}

}  // namespace weft::cli

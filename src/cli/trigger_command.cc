// `weft trigger PIPELINE`: asks the running daemon to start the pipeline's next scheduled run
// now (POST /api/pipelines/{name}/trigger), e.g. after fixing data upstream.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/admin_target.h"
#include "cli/commands.h"
#include "cli/help/help.h"
#include "net/url.h"

namespace weft::cli {

int trigger_command(const std::vector<std::string>& args) {
  AdminTargetArgs target_args;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      return print_help("trigger");
    }
    const OptionUse use = take_admin_option(args, i, target_args);
    if (use == OptionUse::kMissingValue) {
      return usage_error("trigger", args[i] + " needs a value");
    }
    if (use == OptionUse::kTaken) continue;
    if (args[i].empty() || args[i][0] == '-') {
      return usage_error("trigger", "unexpected argument '" + args[i] + "'");
    }
    names.push_back(args[i]);
  }
  if (names.size() != 1) {
    return usage_error("trigger", "name one pipeline: weft trigger PIPELINE");
  }
  const std::string& pipeline = names.front();
  const auto target = resolve_admin_target(target_args, "trigger");
  if (!target) return kExitConfig;
  const std::string path = "/api/pipelines/" + net::percent_encode(pipeline) + "/trigger";
  const auto reply = ask_daemon(*target, "trigger", "POST", path);
  if (!reply) return kExitFailure;
  if (reply->status == 202) {
    std::printf("pipeline %s: run started\n", pipeline.c_str());
    return kExitOk;
  }
  std::fprintf(stderr, "weft trigger: %s\n", reply_error(*target, *reply).c_str());
  return kExitFailure;
}

}  // namespace weft::cli

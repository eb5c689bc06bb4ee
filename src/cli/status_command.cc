// `weft status`: one table of the running daemon's pipelines (GET /api/pipelines).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/admin_target.h"
#include "cli/commands.h"
#include "cli/help/help.h"
#include "cli/status_table.h"
#include "cli/terminal.h"

namespace weft::cli {
namespace {

constexpr std::size_t kPlainWidth = 120;

}  // namespace

int status_command(const std::vector<std::string>& args) {
  AdminTargetArgs target_args;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      return print_help("status");
    }
    const OptionUse use = take_admin_option(args, i, target_args);
    if (use == OptionUse::kMissingValue) {
      return usage_error("status", args[i] + " needs a value");
    }
    if (use == OptionUse::kTaken) continue;
    if (args[i] == "--json") {
      json = true;
      continue;
    }
    return usage_error("status", "unexpected argument '" + args[i] + "'");
  }
  const auto target = resolve_admin_target(target_args, "status");
  if (!target) return kExitConfig;
  PipelineList list = fetch_pipelines(*target);
  if (list.error) {
    std::fprintf(stderr, "weft status: %s\n", list.error->c_str());
    return kExitFailure;
  }
  if (json) {
    const nlohmann::json array(list.pipelines);
    std::printf("%s\n",
                array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (list.pipelines.empty()) {
    std::printf("no pipelines (the daemon at %s runs none)\n", target->client->url("").c_str());
    return kExitOk;
  }
  sort_pipelines(list.pipelines, SortOrder::kName);
  const std::string table =
      render_status_table(list.pipelines, terminal_columns().value_or(kPlainWidth));
  std::fputs(table.c_str(), stdout);
  return kExitOk;
}

}  // namespace weft::cli

// `weft status`: one table of the running daemon's pipelines (GET /api/pipelines).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/admin_target.h"
#include "cli/commands.h"
#include "cli/status_table.h"
#include "cli/terminal.h"

namespace weft::cli {
namespace {

constexpr std::size_t kPlainWidth = 120;

constexpr const char* kSynopsis =
    "Usage: weft status [--config FILE] [--token-file FILE] [--json]\n";
constexpr const char* kDescription = R"HELP(
Prints one line per pipeline of the running daemon, asked through its admin API (admin.listen in
the daemon config), sorted by name:

  NAME        the pipeline
  STATE       starting, running, paused, draining, stopped, finished or failed
  IN/S OUT/S  records read and delivered per second (1.2k is 1,200 and 3.4M 3,400,000)
  DLQ         dead letters waiting in the dead-letter queue (see 'weft dlq list')
  BREAKER     the sink's circuit breaker: closed, half-open (trying again) or open (not sending)
  FRESHNESS   how old the newest delivered data is / the pipeline's freshness SLO, e.g.
              "12s / 15m", with BREACHED when the SLO is missed; just the age without an SLO
  LAST ERROR  why the pipeline failed, or why its delivery is paused; cut to fit the terminal

A value the daemon does not report (an older daemon) shows as '-'. For a display that refreshes,
see 'weft top'.

Options:
)HELP";
constexpr const char* kMoreOptions =
    R"HELP(  --json             print the daemon's answer, a JSON array, instead of the table
  --help             print this help

Examples:
  weft status
  weft status --config /etc/weft/weft.yaml
  weft status --json | jq -r '.[] | select(.state == "failed") | .name'
  WEFT_ADMIN_TOKEN="$(cat /run/secrets/weft-admin)" weft status

Exit status: 0 printed, 1 the daemon cannot be reached or refused (e.g. a wrong token), 2 usage or
configuration error.
)HELP";

void print_usage(std::FILE* to) {
  print_admin_usage(to, kSynopsis, kDescription, kMoreOptions);
}

}  // namespace

int status_command(const std::vector<std::string>& args) {
  AdminTargetArgs target_args;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      print_usage(stdout);
      return kExitOk;
    }
    const OptionUse use = take_admin_option(args, i, target_args);
    if (use == OptionUse::kMissingValue) {
      return report_usage_error("status", args[i] + " needs a value");
    }
    if (use == OptionUse::kTaken) continue;
    if (args[i] == "--json") {
      json = true;
      continue;
    }
    return report_usage_error("status", "unexpected argument '" + args[i] + "'");
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

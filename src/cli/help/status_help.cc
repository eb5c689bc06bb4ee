// `weft status` and `weft top`: the running daemon's pipelines at a glance.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc status_doc() {
  return {
      .name = "status",
      .summary =
          "show every pipeline of the running daemon: state, rates, DLQ, breaker, "
          "freshness",
      .synopsis = {"weft status [--config FILE] [--token-file FILE] [--json]"},
      .description = R"(
Prints one line per pipeline of the running daemon, sorted by name, asked through its admin API
(admin.listen in the daemon config):

  NAME        the pipeline
  STATE       starting, running, paused, draining, stopped, finished or failed
  IN/S OUT/S  records read and delivered per second (1.2k is 1,200 and 3.4M 3,400,000)
  DLQ         dead letters waiting in the dead-letter queue (see 'weft dlq list')
  BREAKER     the sink's circuit breaker: closed, half-open (trying again) or open (not sending)
  FRESHNESS   how old the newest delivered data is / the pipeline's freshness SLO, e.g.
              "12s / 15m", with BREACHED when the SLO is missed; just the age without an SLO
  LAST ERROR  why the pipeline failed, or why its delivery is paused; cut to fit the terminal

A value the daemon does not report (an older daemon) shows as '-'. For a display that refreshes,
see weft top.)",
      .options = {admin_config_option(),
                  token_file_option(),
                  {"--json", "",
                   "Print the daemon's answer, a JSON array of pipeline objects (as GET "
                   "/api/pipelines returns it), instead of the table."},
                  help_option()},
      .exit_status = {{0, "The table (or the JSON) was printed."},
                      {1, "The daemon cannot be reached, or it refused (e.g. a wrong token)."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft status", "The daemon of config/weft.yaml."},
                   {"weft status --config /etc/weft/weft.yaml", "The daemon as installed."},
                   {"weft status --json | jq -r '.[] | select(.state == \"failed\") | .name'",
                    "The names of the failed pipelines."},
                   {"WEFT_ADMIN_TOKEN=\"$(cat /run/secrets/weft-admin)\" weft status",
                    "With the admin token from a secret file."}},
      .see_also = "weft top, weft dlq, weft pause; docs/operations.md (status at a glance).",
  };
}

CommandDoc top_doc() {
  return {
      .name = "top",
      .summary = "the status table, refreshed in place",
      .synopsis = {"weft top [--config FILE] [--token-file FILE] [--interval SECONDS]",
                   "         [--sort name|rate|errors] [--iterations N]"},
      .description = R"(
Shows the table of weft status (see 'weft status --help' for its columns) and refreshes it every
SECONDS, asking the running daemon's admin API (admin.listen in the daemon config). Above the
table: the time, the daemon's address and the number of pipelines.

On a terminal the table is redrawn in place, and single keys act at once:
  q          quit
  n, r, e    sort by name, by rate, by errors
When the daemon stops answering, the last table stays with the error above it, and weft top keeps
trying.

When standard output is not a terminal (a pipe, a file), weft top prints plain tables without
escape sequences, separated by a blank line, and by default only one: 'weft top | cat' prints
one table and exits. It then stops at the first error.)",
      .options = {admin_config_option(),
                  token_file_option(),
                  {"--interval", "SECONDS", "Seconds between refreshes, at least 0.1 (default 2)."},
                  {"--sort", "ORDER",
                   "The order of the rows: name (the default); rate: records in and out per "
                   "second, busiest first; errors: dead-lettered records plus DLQ depth, most "
                   "first, then open circuit breakers first.",
                   Complete::kWords, "name rate errors"},
                  {"--iterations", "N",
                   "Stop after N tables (default: until q on a terminal, else 1)."},
                  help_option()},
      .exit_status = {{0, "Quit with q, or after N tables."},
                      {1,
                       "The daemon cannot be reached or refused (the first time on a "
                       "terminal, any time otherwise)."},
                      {2, "Usage or configuration error."},
                      {130, "Ctrl-C (reported by the shell); the terminal is restored."}},
      .examples = {{"weft top", "Live view, every 2 seconds."},
                   {"weft top --sort errors --interval 5",
                    "The pipelines in trouble first, every 5 seconds."},
                   {"weft top --iterations 30 --interval 60 >> weft-status.log",
                    "A table a minute for half an hour, appended to a file."}},
      .see_also = "weft status, weft tap; docs/operations.md (status at a glance).",
  };
}

}  // namespace weft::cli

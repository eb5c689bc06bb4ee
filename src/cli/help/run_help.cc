// `weft run` and `weft validate`: the verbs that load the configuration.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc run_doc() {
  return {
      .name = "run",
      .summary = "run the daemon: every pipeline and the admin API, until SIGTERM or SIGINT",
      .synopsis = {"weft run [--config FILE]"},
      .description = R"(
Loads the daemon config FILE and every pipeline file in its pipelines directory (pipelines.dir,
every *.yaml and *.yml file), checks them all, and refuses to start when any of them has an
error: every problem is printed as file:line:column and nothing runs. Then it opens the state
store (state.path), starts the admin API on admin.listen (/healthz, /readyz, /metrics,
/api/pipelines) and runs each pipeline: its source reads, its sink writes, and the source's
position is committed only after the sink has acknowledged every record before it, so a crash
replays records and never skips any.

Logs go to standard error, as text or JSON lines (log.format). The process stays in the
foreground; run it under systemd, a container runtime or a supervisor of your choice.

Signals:
  SIGTERM, SIGINT  drain: stop reading, deliver what is in flight, commit, exit. A second
                   one during the drain exits at once (the next start replays from the last
                   commit).
  SIGHUP           reload the pipeline files: changed pipelines restart, removed ones stop,
                   new ones start; a file with errors keeps its previous version running.)",
      .options = {{"--config", "FILE",
                   "The daemon config (default config/weft.yaml, relative to the current "
                   "directory). Relative paths inside it resolve against its own directory.",
                   Complete::kFile},
                  help_option()},
      .exit_status = {{0, "Every pipeline drained and committed after SIGTERM or SIGINT."},
                      {1,
                       "The drain missed shutdown.deadline, a second signal cut it short, "
                       "or a connector did not stop in time: records that were not "
                       "acknowledged are read again at the next start."},
                      {2,
                       "Invalid configuration or command line, or the admin address or the "
                       "state store cannot be used: nothing was started."}},
      .examples = {{"weft run", "Runs with config/weft.yaml and its pipelines (../pipelines)."},
                   {"weft run --config /etc/weft/weft.yaml",
                    "Runs as installed: the daemon config and its pipelines under /etc/weft."},
                   {"kill -HUP $(pgrep -x weft)",
                    "Reloads the pipeline files of the running daemon."}},
      .see_also =
          "weft validate, weft status, weft init; docs/configuration.md, "
          "docs/operations.md (signals, exit codes, logs).",
  };
}

CommandDoc validate_doc() {
  return {
      .name = "validate",
      .summary = "check the daemon config and pipeline files without running anything",
      .synopsis = {"weft validate [--config FILE] [PIPELINE_FILE_OR_DIR...]"},
      .description = R"(
Checks configuration as weft run would, starts nothing, and reports every problem at once, each
as file:line:column with a hint. Unknown keys, wrong types, values out of range, unknown
connector types, settings that do not go together, unset ${VARIABLE}s and duplicate pipeline
names are all errors.

With no paths it checks the daemon config (--config) and then every pipeline file in its
pipelines directory, including shared rate limits the pipelines name. With paths it checks only
those pipeline files and the pipeline files in those directories; the daemon config is not read.

Variables are resolved from the environment, so run it with the environment the daemon will
have. On success it prints "ok: N pipeline(s) valid" to standard output; errors go to standard
error.)",
      .options = {{"--config", "FILE",
                   "The daemon config to check, whose pipelines directory is checked too "
                   "(default config/weft.yaml). Not read when paths are given.",
                   Complete::kFile},
                  help_option()},
      .operands = {Complete::kFileOrDir},
      .operands_repeat = true,
      .exit_status = {{0, "Everything is valid."},
                      {2,
                       "Some file has an error (each is printed), or the command line is "
                       "wrong."}},
      .examples = {{"weft validate", "The daemon config/weft.yaml and every pipeline it runs."},
                   {"weft validate pipelines/orders.yaml", "One pipeline file only."},
                   {"PG_PASSWORD=x weft validate --config /etc/weft/weft.yaml",
                    "As installed, with a stand-in for a secret the daemon gets from its "
                    "environment."}},
      .see_also = "weft run, weft init, weft spec; docs/configuration.md (validation).",
  };
}

}  // namespace weft::cli

// `weft pause`, `weft resume` and `weft trigger`: actions on one pipeline of the running daemon.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc pause_doc() {
  return {
      .name = "pause",
      .summary = "pause a pipeline: it finishes in-flight records, commits, and stops reading",
      .synopsis = {"weft pause PIPELINE [--config FILE] [--token-file FILE]"},
      .description = R"(
Pauses PIPELINE in the running daemon, through its admin API (admin.listen in the daemon config):
the pipeline finishes the records in flight, commits its position, and then reads nothing until
'weft resume PIPELINE', after which it goes on from the position it committed. Use it to hold a
pipeline while its destination is under maintenance, or while data it would read is fixed.

The pause is stored in the state store: it outlasts a restart of the daemon and a reload.
weft status shows the pipeline as paused.)",
      .options = {admin_config_option(), token_file_option(), help_option()},
      .operands = {Complete::kPipeline},
      .exit_status = {{0, "The pipeline is paused."},
                      {1,
                       "No such pipeline, the pipeline cannot be paused (e.g. it is not "
                       "running), or the daemon cannot be reached or refused."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft pause orders", "Holds pipeline orders."},
                   {"weft pause orders --config /etc/weft/weft.yaml --token-file "
                    "/run/secrets/weft-admin",
                    "The daemon as installed, with its admin token."}},
      .see_also = "weft resume, weft status; docs/operations.md (pause and resume).",
  };
}

CommandDoc resume_doc() {
  return {
      .name = "resume",
      .summary = "resume a paused pipeline",
      .synopsis = {"weft resume PIPELINE [--config FILE] [--token-file FILE]"},
      .description = R"(
Resumes PIPELINE after weft pause, through the running daemon's admin API (admin.listen in the
daemon config): it reads again from the position it committed when it paused.)",
      .options = {admin_config_option(), token_file_option(), help_option()},
      .operands = {Complete::kPipeline},
      .exit_status = {{0, "The pipeline is resumed."},
                      {1,
                       "No such pipeline, the pipeline cannot be resumed (e.g. it is not "
                       "running), or the daemon cannot be reached or refused."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft resume orders", "Pipeline orders reads again."},
                   {"WEFT_ADMIN_TOKEN=\"$(cat /run/secrets/weft-admin)\" weft resume orders",
                    "With the admin token from a secret file."}},
      .see_also = "weft pause, weft status; docs/operations.md (pause and resume).",
  };
}

CommandDoc trigger_doc() {
  return {
      .name = "trigger",
      .summary = "start a scheduled pipeline's next run now",
      .synopsis = {"weft trigger PIPELINE [--config FILE] [--token-file FILE]"},
      .description = R"(
Starts the next run of PIPELINE now instead of when its schedule says, for sources that poll on
a schedule (rest, sql_query), e.g. after data was fixed upstream. Asks the running daemon's
admin API (admin.listen in the daemon config).)",
      .options = {admin_config_option(), token_file_option(), help_option()},
      .operands = {Complete::kPipeline},
      .exit_status = {{0, "The run was started."},
                      {1,
                       "The daemon refused (unknown pipeline, not running, no schedule) or "
                       "cannot be reached."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft trigger items", "Pipeline items polls its API now."},
                   {"weft trigger items --config /etc/weft/weft.yaml --token-file "
                    "/run/secrets/weft-admin",
                    "The daemon as installed, with its admin token."}},
      .see_also = "weft status; docs/connectors/rest.md (schedules).",
  };
}

}  // namespace weft::cli

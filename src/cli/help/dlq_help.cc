// `weft dlq`: the dead-letter queue.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc dlq_doc() {
  return {
      .name = "dlq",
      .summary = "list, show, replay or purge dead letters",
      .synopsis = {"weft dlq list [--pipeline NAME] [--since T] [--limit N] [--json] [options]",
                   "weft dlq show ID [--json] [options]",
                   "weft dlq replay (--id ID | --pipeline NAME | --all) [--dry-run] [--json] "
                   "[options]",
                   "weft dlq purge (--id ID | --pipeline NAME | --all) [--before T] [--json] "
                   "[options]",
                   "options: [--config FILE] [--token-file FILE]"},
      .description = R"(
Inspects and acts on the dead-letter queue: the records pipelines gave up on (retries
exhausted, or an error no retry can fix), each stored with its pipeline, stage, error and
attempts. Talks to the running daemon's admin API (admin.listen in the daemon config); when
no daemon is listening there, it says so on standard error and works on the state file
(state.path) directly, with the same results.

T is an RFC 3339 time (2026-11-27T10:00:00Z) or a duration ago (30m, 1h, 7d). --id and
--pipeline may be combined (both must match); --all stands alone.)",
      .subcommands =
          {{"list", "Entries ordered by id, oldest first, at most N (default 100), as a table."},
           {"show", "Entry ID with its record, as indented JSON."},
           {"replay",
            "Marks the selected entries for replay: their pipeline delivers them again (while it "
            "runs, within seconds; otherwise when the daemon next starts). --dry-run only counts "
            "them."},
           {"purge",
            "Deletes the selected entries for good; with --before, only those that last failed "
            "before T."}},
      .options =
          {{"--pipeline", "NAME", "Only the entries of pipeline NAME.", Complete::kPipeline, "",
            "list replay purge"},
           {"--since", "T", "Only entries that last failed at T or later.", Complete::kNothing, "",
            "list"},
           {"--limit", "N", "Show at most N entries (default 100).", Complete::kNothing, "",
            "list"},
           {"--id", "ID", "The entry with this id (the first column of list).", Complete::kNothing,
            "", "replay purge"},
           {"--all", "", "Every entry of every pipeline.", Complete::kNothing, "", "replay purge"},
           {"--dry-run", "", "Count what would be replayed; change nothing.", Complete::kNothing,
            "", "replay"},
           {"--before", "T", "Only entries that last failed before T.", Complete::kNothing, "",
            "purge"},
           {"--json", "", "Print machine-readable JSON (the admin API's answer)."},
           {"--config", "FILE",
            "The daemon config: admin.listen says where the daemon listens, state.path where the "
            "state file is (default config/weft.yaml).",
            Complete::kFile},
           token_file_option(),
           help_option()},
      .exit_status = {{0, "Done (also when nothing matched)."},
                      {1,
                       "The operation failed: no such entry, or a daemon or state file "
                       "error."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft dlq list --pipeline orders --since 1h",
                    "What pipeline orders dead-lettered in the last hour."},
                   {"weft dlq show 42", "Entry 42: its error, attempts and record."},
                   {"weft dlq replay --pipeline orders --dry-run",
                    "How many entries a replay of orders would deliver again."},
                   {"weft dlq purge --all --before 30d",
                    "Deletes every entry that last failed more than 30 days ago."}},
      .see_also =
          "weft status (DLQ depth), weft tap; docs/delivery.md (dead letters and "
          "replay).",
  };
}

}  // namespace weft::cli

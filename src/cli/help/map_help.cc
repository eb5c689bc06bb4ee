// `weft map` and `weft files`: working on one pipeline without the daemon.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc map_doc() {
  return {
      .name = "map",
      .summary = "run a pipeline's mapping on sample records (JSON lines on stdin)",
      .synopsis = {"weft map --pipeline NAME|FILE [--config FILE] [--input FILE] [--envelope]",
                   "         [--state FILE] [< records.jsonl]"},
      .description = R"(
Runs only the pipeline's mapping (filter, map, model validation, route; docs/mapping.md) on
sample records, one JSON value per input line, and prints each mapped record as a JSON line on
standard output. Filtered records and errors are reported on standard error with their line
number, then a summary line; nothing is delivered and no daemon is needed. Use it to develop a
mapping before the pipeline runs.

Crosswalk lookups read the state file's crosswalk tables; ids a lookup would create are shown
(stable UUID v5 ids, as the pipeline would mint them) but not stored. Without a state file the
lookups run against an empty one.)",
      .options = {{"--pipeline", "NAME|FILE",
                   "The pipeline (required): a name in the daemon's pipelines directory, or a "
                   "pipeline file (a path with a '/', or ending in .yaml or .yml).",
                   Complete::kPipeline},
                  {"--config", "FILE",
                   "The daemon config, for pipelines.dir and state.path (default "
                   "config/weft.yaml).",
                   Complete::kFile},
                  {"--input", "FILE", "Read the records from FILE instead of standard input.",
                   Complete::kFile},
                  {"--envelope", "",
                   "Each line is a whole record: {\"value\": ..., \"key\", \"op\", \"before\", "
                   "\"headers\", \"id\", \"position\", \"event_time\"}, to try @op, @headers, "
                   "@before, @position and @event_time paths. Routed records are then printed "
                   "as {\"value\", \"route\"}."},
                  {"--state", "FILE",
                   "The state file for crosswalk lookups (default: the config's state.path).",
                   Complete::kFile},
                  help_option()},
      .exit_status = {{0, "Every record was mapped or filtered."},
                      {1,
                       "Some record failed (each is reported), or the state file cannot be "
                       "opened."},
                      {2,
                       "Usage or configuration error (an invalid pipeline, an unreadable "
                       "--input)."}},
      .examples = {{"weft map --pipeline orders < samples.jsonl",
                    "Maps the sample records with pipeline orders' mapping."},
                   {"weft map --pipeline pipelines/stripe.yaml --input events.jsonl --envelope",
                    "Whole records from a file, for mappings that read @op or @headers."},
                   {"weft tap orders --limit 20 | jq -c .record.value | weft map --pipeline "
                    "orders",
                    "Replays what the running source reads through a changed mapping."}},
      .see_also =
          "weft tap, weft crosswalk; docs/mapping.md, docs/operations.md (trying a "
          "mapping).",
  };
}

CommandDoc files_doc() {
  return {
      .name = "files",
      .summary = "make a files source read processed objects again",
      .synopsis = {"weft files forget PIPELINE [KEY_PREFIX] [--config FILE | --state PATH]"},
      .description = R"(
A files source records every object it has read, by key and ETag, so that it never reads one
twice. weft files forget removes PIPELINE's records of the objects whose key starts with
KEY_PREFIX (every object when it is left out), so they are read again: by a running daemon at
the pipeline's next poll, otherwise when it starts.

Objects that were deleted or moved after reading (after_read) are not brought back; copy them
into the location again instead (a new copy has a new ETag and is read anyway). Works on the
state file (state.path in the daemon config, or --state), also while the daemon runs.)",
      .subcommands = {{"forget",
                       "Forgets the processed objects of PIPELINE whose key starts with "
                       "KEY_PREFIX (all of them without it).",
                       {Complete::kPipeline, Complete::kNothing}}},
      .options = {{"--config", "FILE",
                   "The daemon config, for state.path (default config/weft.yaml).",
                   Complete::kFile},
                  {"--state", "PATH", "The state file itself, instead of --config.",
                   Complete::kFile},
                  help_option()},
      .exit_status = {{0, "Done (it prints how many objects were forgotten)."},
                      {1, "The state file does not exist or cannot be opened or written."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft files forget customer-drops incoming/",
                    "Pipeline customer-drops reads every object under incoming/ again."},
                   {"weft files forget customer-drops incoming/customers_2026-11-27.csv --state "
                    "/var/lib/weft/weft.db",
                    "One file again, with the state file named directly."}},
      .see_also = "docs/connectors/files.md (how tracking works and how to read a file again).",
  };
}

}  // namespace weft::cli

// `weft tap`: live records of one stage of a running pipeline.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc tap_doc() {
  return {
      .name = "tap",
      .summary = "print records as they pass a pipeline's source, mapping or sink (JSON lines)",
      .synopsis = {"weft tap PIPELINE [--stage source|mapped|sink] [--limit N] [--config FILE]",
                   "         [--token-file FILE]"},
      .description = R"(
Prints records as they pass one stage of PIPELINE in the running daemon, one JSON object per
line on standard output ({"pipeline", "stage", "record"}), each as soon as the daemon sends it;
then exits. Asks the daemon's admin API (admin.listen in the daemon config). Use it to see what a
source really reads or what a mapping really produces, without a debugger or a test pipeline.

Values of fields the canonical model marks pii (and the source fields mapped into them) and of
fields named like credentials (password, token, api_key, ...) show as "***". A tap never slows
the pipeline down: when records pass faster than weft tap reads them, some are skipped (a tap
is a sample).

The stream ends after N records, when the pipeline stops, or with Ctrl-C. When it ends before N
records, standard error says so. A quiet pipeline prints nothing until records pass; a daemon
that sends nothing at all for 20 s (not even its keep-alive line every 10 s) is given up on.)",
      .options = {{"--stage", "STAGE",
                   R"(Where to watch (default source):
  source  records as the source read them, before filter and mapping
  mapped  records after the mapping, as they go to the sink
  sink    records the sink has accepted)",
                   Complete::kWords, "source mapped sink"},
                  {"--limit", "N", "Stop after N records (default 10)."},
                  admin_config_option(),
                  token_file_option(),
                  help_option()},
      .operands = {Complete::kPipeline},
      .exit_status = {{0, "The stream ended (N records, or the daemon ended it)."},
                      {1,
                       "No such pipeline, or the daemon cannot be reached, refused or broke "
                       "the stream."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft tap orders", "The next 10 records orders reads."},
                   {"weft tap orders --stage mapped --limit 100 > mapped.jsonl",
                    "100 records as the mapping produced them, into a file."},
                   {"weft tap orders --stage sink --limit 1 | jq .record.value",
                    "The value of the next record the sink accepts."}},
      .see_also =
          "weft map (the mapping on sample records, without a daemon), weft status; "
          "docs/operations.md (watching records).",
  };
}

}  // namespace weft::cli

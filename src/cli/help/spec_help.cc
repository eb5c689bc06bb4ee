// `weft spec` and `weft init`: the connectors' specs, as reference and as a new pipeline file.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc spec_doc() {
  return {
      .name = "spec",
      .summary = "describe connectors and their settings",
      .synopsis = {"weft spec", "weft spec TYPE", "weft spec --markdown [DIR]"},
      .description = R"(
Describes the connectors built into this weft from their own specs, the same specs that
validate pipeline files, so the reference cannot drift from what weft accepts.

Without arguments it lists the sources and the sinks, one line each: type and summary. With
TYPE it prints every setting of that connector (a source, a sink, or both when a source and a
sink share the name): field (nested ones dotted), type, whether it is required, default, range
or allowed values, whether it is a secret, and description; then a complete example.)",
      .options = {{"--markdown", "[DIR]",
                   "Write the reference pages instead: DIR/sources/<type>.md and "
                   "DIR/sinks/<type>.md for every connector (DIR defaults to docs/connectors).",
                   Complete::kDirectory},
                  help_option()},
      .operands = {Complete::kConnectorType},
      .exit_status = {{0, "Printed (or written)."},
                      {1, "A reference page cannot be written."},
                      {2, "No connector has that type, or a usage error."}},
      .examples = {{"weft spec", "The connector types."},
                   {"weft spec postgres_cdc", "Every setting of the postgres_cdc source."},
                   {"weft spec kafka | less", "The kafka source and the kafka sink."},
                   {"weft spec --markdown docs/connectors", "Regenerates the reference pages."}},
      .see_also =
          "weft init (a pipeline file from two connectors' specs), weft validate; "
          "docs/connectors/.",
  };
}

CommandDoc init_doc() {
  return {
      .name = "init",
      .summary = "write a new pipeline file for a source and a sink",
      .synopsis = {"weft init NAME --source TYPE --sink TYPE [--output FILE] [--force]"},
      .description = R"(
Writes a complete, commented pipeline file named NAME that reads from a TYPE source and writes
to a TYPE sink, generated from the two connectors' specs (what weft spec TYPE prints):

  - the settings a working pipeline needs, filled with the connector's example values to
    replace; secrets as ${VARIABLE} references, read from the environment;
  - every other setting commented out, with its default and a one-line description;
  - the pipeline's delivery settings (batch, checkpoint, retry, circuit breaker, dead-letter
    queue, ...) commented out with their defaults.

The file passes weft validate as written once the variables it names are set; its header lists
them. Edit the values, uncomment what you need, and check it with weft validate FILE.

NAME is the pipeline's name: 1 to 63 lowercase letters, digits, '_' and '-', starting with a
letter or digit. An existing file is never overwritten without --force.)",
      .options = {{"--source", "TYPE", "The source connector (weft spec lists them).",
                   Complete::kSourceType},
                  {"--sink", "TYPE", "The sink connector.", Complete::kSinkType},
                  {"--output", "FILE",
                   "Where to write (default pipelines/NAME.yaml, relative to the current "
                   "directory); - writes to standard output. Missing parent directories are "
                   "created.",
                   Complete::kFile},
                  {"--force", "", "Replace FILE when it exists."},
                  help_option()},
      .exit_status = {{0, "The file was written."},
                      {1, "FILE exists (and no --force), or cannot be written."},
                      {2, "Unknown connector type, invalid NAME, or another usage error."}},
      .examples = {{"weft init orders --source postgres_cdc --sink kafka",
                    "Writes pipelines/orders.yaml: PostgreSQL changes into Kafka."},
                   {"weft init scores --source sql_query --sink salesforce --output "
                    "/etc/weft/pipelines/scores.yaml",
                    "Reverse ETL into Salesforce, written where the daemon reads it."},
                   {"weft init demo --source generate --sink file --output - | less",
                    "Only shows what would be written."}},
      .see_also = "weft spec, weft validate, weft run; docs/configuration.md (pipeline files).",
  };
}

}  // namespace weft::cli

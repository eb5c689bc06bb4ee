// `weft crosswalk`: the crosswalk links in the state file.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc crosswalk_doc() {
  return {
      .name = "crosswalk",
      .summary = "look up, link, import or export crosswalk ids",
      .synopsis = {"weft crosswalk get --entity E --system S (--id ID | --canonical C) [options]",
                   "weft crosswalk put --entity E --system S --id ID --canonical C [options]",
                   "weft crosswalk import FILE [--entity E] [--system S] [options]",
                   "weft crosswalk export [--entity E] [--system S] [--output FILE] [options]",
                   "options: [--config FILE | --state PATH]"},
      .description = R"(
Reads and writes crosswalk links: which canonical id an entity's id in each system stands for
(customer cus_123 in stripe is canonical customer 6f1c0a52-...; docs/mapping.md). Works on the
state file (state.path in the daemon config, or --state), also while the daemon runs: SQLite lets
both write. A running daemon may keep using a link it has cached until it evicts it or restarts.)",
      .subcommands =
          {{"get",
            "With --id, prints the canonical id that ID in system S is linked to. With "
            "--canonical, prints system S's id for canonical id C (reverse lookup). Exits 1 when "
            "there is no such link."},
           {"put",
            "Links ID in system S to canonical id C in one durable transaction, replacing what ID "
            "was linked to and the id S had for C. The state file is created when missing."},
           {"import",
            "Links every row of the CSV file FILE (see CSV FORMAT). Every row is checked before "
            "anything is written; a bad row is reported with its line and nothing is imported. "
            "Links are written in transactions of 10000; importing a file again is safe.",
            {Complete::kFile}},
           {"export",
            "Writes the links (of one entity and/or system when given) as CSV, ordered by "
            "entity, system and external id, in the format import reads: to standard output, or "
            "to FILE with --output (replaced whole once everything is written)."}},
      .options = {{"--entity", "E",
                   "The entity (customer, order, ...). Required by get and put; for import, "
                   "the value of every row without an entity column; for export, a filter."},
                  {"--system", "S",
                   "The system the external ids belong to (stripe, salesforce, ...). Required by "
                   "get and put; for import and export as --entity."},
                  {"--id", "ID", "The id in system S.", Complete::kNothing, "", "get put"},
                  {"--canonical", "C", "The canonical id.", Complete::kNothing, "", "get put"},
                  {"--output", "FILE", "Write the CSV to FILE instead of standard output.",
                   Complete::kFile, "", "export"},
                  {"--config", "FILE",
                   "The daemon config, for state.path (default config/weft.yaml).",
                   Complete::kFile},
                  {"--state", "PATH", "The state file itself, instead of --config.",
                   Complete::kFile},
                  help_option()},
      .exit_status = {{0, "Done."},
                      {1,
                       "Not found (get), or the operation failed (the state file is missing "
                       "or cannot be written, a bad CSV row)."},
                      {2, "Usage or configuration error."}},
      .examples = {{"weft crosswalk get --entity customer --system stripe --id cus_123",
                    "The canonical id of Stripe customer cus_123."},
                   {"weft crosswalk put --entity customer --system salesforce --id 001A000001 \\\n"
                    "      --canonical 6f1c0a52-3c43-4bd5-9c39-0d2ea08e11a7",
                    "Links a Salesforce Account to a canonical customer."},
                   {"weft crosswalk import links.csv --entity customer --system stripe",
                    "Loads links from a CSV file with external_id and canonical_id columns."},
                   {"weft crosswalk export --entity customer --output customers.csv",
                    "Every customer link, into a file."}},
      .see_also =
          "weft map (tries lookups on sample records); docs/mapping.md (crosswalk "
          "tables).",
      .sections = {{"CSV FORMAT", R"(
RFC 4180 (commas; fields with commas, quotes or line breaks in double quotes), with a header row
naming its columns:

  entity,system,external_id,canonical_id
  customer,stripe,cus_123,6f1c0a52-3c43-4bd5-9c39-0d2ea08e11a7
  customer,stripe,cus_456,

The entity and system columns may be left out when --entity and --system give them (when both
are there, every row must agree with the option). An empty canonical_id (or no such column)
mints the stable id weft's create would (UUID v5 of entity/system/external_id), unless the
external id is already linked: then its link is kept. Rows with a canonical id replace what
their external id, and the system's id for that canonical id, were linked to.)"}},
  };
}

}  // namespace weft::cli

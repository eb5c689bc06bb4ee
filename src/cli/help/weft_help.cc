// `weft` itself, the small verbs (completion, help, version), and the table of every verb.
#include "cli/help/docs.h"

namespace weft::cli {

CommandDoc completion_doc() {
  return {
      .name = "completion",
      .summary = "print the shell completion script",
      .synopsis = {"weft completion bash"},
      .description = R"(
Prints a bash completion script for weft to standard output. It completes the commands, each
command's options and subcommands, connector types (asked from weft spec, so they are those of
the weft being completed), pipeline names (from pipelines/*.yaml in the current directory) and
file names where an option takes a file.

Load it into the running shell with 'source <(weft completion bash)', or install it for every
shell: 'weft completion bash > /usr/share/bash-completion/completions/weft' (system-wide, with
the bash-completion package) or into ~/.local/share/bash-completion/completions/weft. The
repository also has it as config/completion/weft.bash.)",
      .options = {help_option()},
      .operands = {Complete::kWords},
      .operand_words = "bash",
      .exit_status = {{0, "The script was printed."}, {2, "No shell, or a shell other than bash."}},
      .examples = {{"source <(weft completion bash)", "Completion in the current shell."},
                   {"weft completion bash | sudo tee /usr/share/bash-completion/completions/weft",
                    "Completion in every new shell on the machine."}},
      .see_also = "bash(1) (Programmable Completion).",
  };
}

CommandDoc help_doc() {
  return {
      .name = "help",
      .summary = "print the manual of weft or of one command",
      .synopsis = {"weft help [COMMAND]"},
      .description = R"(
Prints the manual of COMMAND, the same as 'weft COMMAND --help'; without COMMAND, the manual of
weft itself with the list of commands.)",
      .options = {help_option()},
      .operands = {Complete::kCommand},
      .exit_status = {{0, "The manual was printed."}, {2, "No command has that name."}},
      .examples = {{"weft help dlq", "The manual of weft dlq."},
                   {"weft help | less", "The manual of weft, paged."}},
      .see_also = "weft --help.",
  };
}

CommandDoc version_doc() {
  return {
      .name = "version",
      .summary = "print the version",
      .synopsis = {"weft version", "weft --version"},
      .description = "Prints \"weft\" and the version of this binary, e.g. \"weft 0.1.0\".",
      .options = {help_option()},
      .exit_status = {{0, "Always."}},
      .examples = {{"weft version", "Prints e.g. weft 0.1.0."},
                   {"weft --version | cut -d' ' -f2", "Only the version number, for scripts."}},
      .see_also = "weft --help.",
  };
}

const CommandDoc& weft_doc() {
  static const CommandDoc doc = {
      .name = "",
      .summary = "integration runtime daemon",
      .synopsis = {"weft COMMAND [options]", "weft help [COMMAND]", "weft --version"},
      .description = R"(
weft is one daemon that loads declarative YAML pipelines and moves records between systems
without losing any. Each pipeline reads from a source (PostgreSQL changes, Kafka, webhooks, REST
APIs, files in S3, SQL queries, ...), hands the records through an optional mapping to a sink
(Kafka, a warehouse, Salesforce, files, ...) and commits the source's position only after the
sink has acknowledged every record before it, so a crash replays records and never skips any.
Retries, a circuit breaker, dedupe, a dead-letter queue and rate limits wrap every sink.

weft run starts the daemon; the other commands prepare its files (init, validate, spec, map) or
watch and steer it (status, top, tap, pause, resume, trigger, dlq, crosswalk, files). Run 'weft
COMMAND --help' or 'weft help COMMAND' for a command's manual.)",
      .options = {{"--version", "", "Print the version and exit (as weft version)."},
                  help_option()},
      .exit_status = {{0, "Success."},
                      {1, "The operation failed (see each command)."},
                      {2,
                       "Usage or configuration error: an unknown command or option, or an "
                       "invalid file."}},
      .examples = {{"weft init orders --source postgres_cdc --sink kafka",
                    "Writes pipelines/orders.yaml to edit."},
                   {"weft validate", "Checks config/weft.yaml and every pipeline."},
                   {"weft run", "Runs them."},
                   {"weft status", "Shows how each pipeline is doing."}},
      .see_also =
          "README.md; docs/configuration.md, docs/operations.md, docs/delivery.md, "
          "docs/mapping.md, docs/connectors/. Environment: WEFT_ADMIN_TOKEN (the admin "
          "token of the verbs that ask the daemon).",
  };
  return doc;
}

const std::vector<CommandDoc>& command_docs() {
  static const std::vector<CommandDoc> docs = {
      run_doc(), validate_doc(), init_doc(),       spec_doc(),    status_doc(), top_doc(),
      tap_doc(), pause_doc(),    resume_doc(),     trigger_doc(), dlq_doc(),    crosswalk_doc(),
      map_doc(), files_doc(),    completion_doc(), help_doc(),    version_doc()};
  return docs;
}

}  // namespace weft::cli

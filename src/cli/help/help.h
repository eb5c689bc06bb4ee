#pragma once

// The help of every `weft` verb, kept as data: one CommandDoc per verb (src/cli/help/*_help.cc)
// from which `weft VERB --help` renders a manual page, usage errors take their short usage, and
// `weft completion bash` generates the completion script. A verb's parser and its CommandDoc must
// name the same options; tests/cli/help_test.cc checks both against the parser's source.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::cli {

// What the word after an option, or an operand, completes to in the shell.
enum class Complete {
  kNothing,        // free text (a number, a time, an id): no suggestion
  kFile,           // a file path
  kDirectory,      // a directory path
  kFileOrDir,      // a file or directory path
  kPipeline,       // a pipeline name (from pipelines/*.yaml)
  kSourceType,     // a source connector type (`weft spec`)
  kSinkType,       // a sink connector type
  kConnectorType,  // any connector type
  kCommand,        // a weft verb
  kWords,          // one of the words listed with it
};

struct OptionDoc {
  std::string_view name = {};   // "--config"
  std::string_view value = {};  // "FILE"; empty for a flag
  std::string_view text = {};   // what it does; re-flowed to fit
  Complete complete = Complete::kNothing;
  std::string_view words = {};  // for Complete::kWords, separated by spaces
  // The subcommands the option belongs to, separated by spaces ("list replay"); empty: all.
  std::string_view only_for = {};
  std::string_view alias = {};  // a short spelling, "-h"
};

struct SubcommandDoc {
  std::string_view name = {};  // "list"
  std::string_view text = {};  // what it does; re-flowed to fit
  // What its operands complete to, in order (`files forget PIPELINE [KEY_PREFIX]`).
  std::vector<Complete> operands = {};
};

struct ExitDoc {
  int code = {};
  std::string_view meaning = {};
};

struct ExampleDoc {
  // "weft tap orders --stage mapped"; a long one continues on lines that start with a space.
  std::string_view command = {};
  std::string_view meaning = {};
};

// One verb's manual page. Text fields are paragraphs separated by blank lines; lines that start
// with a space are kept as written (tables, lists), the others are re-flowed to 100 columns.
struct CommandDoc {
  std::string_view name = {};     // "dlq"; "" for `weft` itself
  std::string_view summary = {};  // the NAME line, after "weft dlq - "
  // SYNOPSIS lines, each a complete usage; a line starting with a space continues the one
  // before it.
  std::vector<std::string_view> synopsis = {};
  std::string_view description = {};
  std::vector<SubcommandDoc> subcommands = {};
  std::vector<OptionDoc> options = {};
  // Without subcommands: what the operands complete to, in order; with `operands_repeat` the
  // last one stands for any number of operands.
  std::vector<Complete> operands = {};
  bool operands_repeat = false;
  std::string_view operand_words = {};  // for Complete::kWords operands, separated by spaces
  std::vector<ExitDoc> exit_status = {};
  std::vector<ExampleDoc> examples = {};
  std::string_view see_also = {};
  // Extra sections after DESCRIPTION, as title and text ("CSV FORMAT", ...).
  std::vector<std::pair<std::string_view, std::string_view>> sections = {};
};

// Every verb, in the order `weft --help` lists them. `weft` itself is not among them.
const std::vector<CommandDoc>& command_docs();
// The page of `weft` itself (its COMMANDS section is built from command_docs()).
const CommandDoc& weft_doc();
// The verb's doc, or nullptr.
const CommandDoc* find_command_doc(std::string_view verb);

// The manual page of `doc`, lines at most 100 columns.
std::string render_manual(const CommandDoc& doc);
// "Usage: " and the synopsis lines.
std::string render_short_usage(const CommandDoc& doc);

// Prints the manual of `verb` ("" for weft itself) to stdout; returns kExitOk.
int print_help(std::string_view verb);

// Prints to stderr "weft VERB[ SUBCOMMAND]: MESSAGE", the verb's short usage and "Run 'weft VERB
// --help' for the full help."; returns kExitConfig. For options, operands and values the verb
// does not accept. A verb without a doc is taken as weft itself.
int usage_error(std::string_view verb, const std::string& message);
int usage_error(std::string_view verb, std::string_view subcommand, const std::string& message);

// Prints the verb's short usage and the --help pointer to stderr; returns kExitConfig. For a verb
// given nothing to do (`weft dlq`).
int missing_command(std::string_view verb);

// The bash completion script (`weft completion bash`), generated from command_docs().
std::string bash_completion_script();

// Shared option docs: the admin-API verbs' --config and --token-file, and --help.
OptionDoc admin_config_option();
OptionDoc token_file_option();
OptionDoc help_option();

}  // namespace weft::cli

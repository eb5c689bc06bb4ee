// Every verb's manual (`weft VERB --help`) as an operator reads it, checked against the verb's
// parser: the options the parser's source compares arguments with must be documented, and no
// documented option may be missing from the parser, so adding an option without documenting
// it fails here.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "cli/manual_text.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

// The source files that parse each verb's arguments ("" is `weft` itself).
const std::map<std::string, std::vector<std::string>>& parser_sources() {
  static const std::map<std::string, std::vector<std::string>> sources = {
      {"", {"cli_main.cc"}},
      {"run", {"run_command.cc", "args.cc"}},
      {"validate", {"validate_command.cc", "args.cc"}},
      {"init", {"init_command.cc"}},
      {"spec", {"spec_command.cc"}},
      {"status", {"status_command.cc", "admin_target.cc"}},
      {"top", {"top_command.cc", "admin_target.cc"}},
      {"tap", {"tap_command.cc", "admin_target.cc"}},
      {"pause", {"pause_command.cc", "admin_target.cc"}},
      {"resume", {"pause_command.cc", "admin_target.cc"}},
      {"trigger", {"trigger_command.cc", "admin_target.cc"}},
      {"dlq", {"dlq_command.cc"}},
      {"crosswalk", {"crosswalk_command.cc"}},
      {"map", {"map_command.cc"}},
      {"files", {"files_command.cc"}},
      {"completion", {"completion_command.cc"}},
      {"help", {"help_command.cc"}},
      {"version", {"help_command.cc"}},
  };
  return sources;
}

std::string cli_source(const std::string& file) {
  return slurp(std::string(WEFT_SOURCE_DIR) + "/src/cli/" + file);
}

// Every string literal in `text` that is exactly an option: "--config", "-h".
std::set<std::string> option_literals(const std::string& text) {
  std::set<std::string> out;
  static const std::regex literal("\"(--?[a-z][a-z0-9-]*)\"");
  for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

// The verbs `weft` dispatches, from its dispatcher's source: `if (name == "run") return ...`.
std::vector<std::string> dispatched_verbs() {
  const std::string text = cli_source("cli_main.cc");
  std::vector<std::string> verbs;
  static const std::regex verb("name == \"([a-z]+)\"");
  for (std::sregex_iterator it(text.begin(), text.end(), verb), end; it != end; ++it) {
    verbs.push_back((*it)[1]);
  }
  return verbs;
}

class HelpTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(HelpTest, EveryVerbHasAManualPage) {
  const auto verbs = dispatched_verbs();
  ASSERT_GE(verbs.size(), 17u);
  const std::string commands = "\n" + manual_section(run_cli({"--help"}, dir_).out, "COMMANDS");
  for (const auto& verb : verbs) {
    SCOPED_TRACE(verb);
    EXPECT_TRUE(parser_sources().contains(verb)) << "add the parser's files to parser_sources()";
    EXPECT_NE(commands.find("\n    " + verb + " "), std::string::npos) << commands;
    const CliResult result = run_cli({verb, "--help"}, dir_);
    EXPECT_EQ(result.code, 0);
    EXPECT_EQ(result.err, "");
    EXPECT_TRUE(result.out.starts_with("NAME\n    weft " + verb + " - ")) << result.out;
    for (const char* heading :
         {"SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES", "SEE ALSO"}) {
      EXPECT_NE(manual_section(result.out, heading).find_first_not_of(" \n"), std::string::npos)
          << "no " << heading << " section in\n"
          << result.out;
    }
    EXPECT_NE(manual_section(result.out, "EXIT STATUS").find("    0   "), std::string::npos);
    std::size_t examples = 0;  // commands at 4 columns; what they do, or a continuation, deeper
    for (const auto& line : lines_of(manual_section(result.out, "EXAMPLES"))) {
      examples += line.starts_with("    ") && line[4] != ' ';
    }
    EXPECT_GE(examples, 2u);
    EXPECT_LE(examples, 4u);
    for (const auto& line : lines_of(result.out)) EXPECT_LE(line.size(), 100u) << line;
    EXPECT_EQ(run_cli({verb, "-h"}, dir_).out, result.out);
    EXPECT_EQ(run_cli({"help", verb}, dir_).out, result.out);
  }
}

TEST_F(HelpTest, EveryOptionTheParserAcceptsIsDocumentedAndNoOther) {
  for (const auto& [verb, files] : parser_sources()) {
    SCOPED_TRACE("weft " + verb);
    std::set<std::string> parsed;
    for (const auto& file : files) {
      const std::string text = cli_source(file);
      ASSERT_FALSE(text.empty()) << file;
      const auto options = option_literals(text);
      parsed.insert(options.begin(), options.end());
    }
    const std::string manual =
        verb.empty() ? run_cli({"--help"}, dir_).out : run_cli({verb, "--help"}, dir_).out;
    const std::set<std::string> documented = documented_options(manual);
    EXPECT_EQ(documented, parsed) << manual;
    const std::string synopsis = manual_section(manual, "SYNOPSIS");
    for (const auto& option : documented) {
      if (option == "--help" || option == "-h") continue;
      EXPECT_NE(synopsis.find(option), std::string::npos) << option << " not in\n" << synopsis;
    }
  }
}

TEST_F(HelpTest, ManualOfWeftListsTheCommands) {
  const CliResult result = run_cli({"--help"}, dir_);
  EXPECT_EQ(result.code, 0);
  EXPECT_TRUE(result.out.starts_with("NAME\n    weft - ")) << result.out;
  EXPECT_EQ(run_cli({"help"}, dir_).out, result.out);
  EXPECT_EQ(run_cli({"-h"}, dir_).out, result.out);
  for (const auto& line : lines_of(result.out)) EXPECT_LE(line.size(), 100u) << line;
}

TEST_F(HelpTest, UsageErrorsGoToStderrWithTheShortUsageAndExit2) {
  for (const auto& verb : dispatched_verbs()) {
    if (verb == "version" || verb == "help") continue;  // checked below: they take no options
    SCOPED_TRACE(verb);
    const CliResult result = run_cli({verb, "--no-such-option"}, dir_);
    EXPECT_EQ(result.code, 2);
    EXPECT_EQ(result.out, "");
    EXPECT_TRUE(result.err.starts_with("weft " + verb)) << result.err;
    EXPECT_NE(result.err.find("'--no-such-option'"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("\nUsage: weft " + verb), std::string::npos) << result.err;
    EXPECT_TRUE(result.err.ends_with("Run 'weft " + verb + " --help' for the full help.\n"))
        << result.err;
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"version", "extra"}, {"help", "nosuch"}, {"help", "a", "b"}}) {
    const CliResult result = run_cli(args, dir_);
    EXPECT_EQ(result.code, 2) << args[1];
    EXPECT_NE(result.err.find("\nUsage: weft " + args[0]), std::string::npos) << result.err;
  }
}

TEST_F(HelpTest, UnknownCommandsSuggestAndListTheCommands) {
  CliResult result = run_cli({"stauts"}, dir_);
  EXPECT_EQ(result.code, 2);
  EXPECT_TRUE(result.err.starts_with("weft: unknown command 'stauts'; did you mean 'status'?\n"))
      << result.err;
  EXPECT_NE(result.err.find("\n    dlq "), std::string::npos) << result.err;

  result = run_cli({}, dir_);
  EXPECT_EQ(result.code, 2);
  EXPECT_TRUE(result.err.starts_with("Usage: weft COMMAND")) << result.err;
  EXPECT_EQ(result.out, "");
}

}  // namespace
}  // namespace weft::test

// `weft completion bash`: the committed config/completion/weft.bash is its output, bash accepts
// it, and bash completes with it as a user's TAB would (the completion function called with
// COMP_WORDS and COMP_CWORD set, as readline sets them).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "cli/manual_text.h"
#include "e2e/weft_process.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

const std::string kCommitted = std::string(WEFT_SOURCE_DIR) + "/config/completion/weft.bash";

// Single-quoted for bash.
std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class CompletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("work/pipelines/orders.yaml", "name: orders\n");
    dir_.write("work/pipelines/users.yml", "name: users\n");
    dir_.write("work/pipelines/notes.txt", "not a pipeline\n");
  }

  // What completing the last of `words` (after "weft") offers, sorted, one word a line. Runs in
  // dir_/work, where pipelines/ holds orders.yaml and users.yml.
  std::string complete(const std::vector<std::string>& words) {
    std::string script = "source " + quoted(kCommitted) + "\nCOMP_WORDS=(" + quoted(weft_binary());
    for (const auto& word : words) script += " " + quoted(word);
    script += ")\nCOMP_CWORD=" + std::to_string(words.size()) + "\n_weft\n";
    script += "printf '%s\\n' \"${COMPREPLY[@]}\" | sort\n";
    const CliResult result = run_program({"/bin/bash", "-c", script}, dir_, {}, dir_.file("work"));
    EXPECT_EQ(result.code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    return result.out == "\n" ? "" : result.out;
  }

  TempDir dir_;
};

std::string sorted_lines(std::vector<std::string> words) {
  std::sort(words.begin(), words.end());
  std::string out;
  for (const auto& w : words) out += w + "\n";
  return out;
}

TEST_F(CompletionTest, CommittedScriptIsTheCommandsOutput) {
  const CliResult result = run_cli({"completion", "bash"}, dir_);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(result.out == slurp(kCommitted))
      << "config/completion/weft.bash is stale: regenerate it with\n"
         "  weft completion bash > config/completion/weft.bash";
  for (const auto& line : lines_of(result.out)) EXPECT_LE(line.size(), 100u) << line;

  EXPECT_EQ(run_cli({"completion"}, dir_).code, 2);
  const CliResult zsh = run_cli({"completion", "zsh"}, dir_);
  EXPECT_EQ(zsh.code, 2);
  EXPECT_NE(zsh.err.find("only bash is supported"), std::string::npos) << zsh.err;
}

TEST_F(CompletionTest, BashAcceptsTheScript) {
  const CliResult result = run_program({"/bin/bash", "-n", kCommitted}, dir_);
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
}

TEST_F(CompletionTest, CompletesVerbsAndSubcommands) {
  EXPECT_EQ(complete({"dl"}), "dlq\n");
  EXPECT_EQ(complete({"dlq", ""}), "list\npurge\nreplay\nshow\n");
  EXPECT_EQ(complete({"crosswalk", "--state", "x.db", ""}), "export\nget\nimport\nput\n");
  EXPECT_EQ(complete({"files", ""}), "forget\n");
  EXPECT_EQ(complete({"help", "sta"}), "status\n");
  EXPECT_EQ(complete({"completion", ""}), "bash\n");
  EXPECT_EQ(complete({"nosuch", ""}), "");
}

TEST_F(CompletionTest, CompletesValuesPipelinesAndConnectorTypes) {
  EXPECT_EQ(complete({"top", "--sort", ""}), "errors\nname\nrate\n");
  EXPECT_EQ(complete({"top", "--sort", "=", "r"}), "rate\n");
  EXPECT_EQ(complete({"tap", "orders", "--stage", "m"}), "mapped\n");
  EXPECT_EQ(complete({"pause", ""}), "orders\nusers\n");
  EXPECT_EQ(complete({"pause", "orders", ""}), "");  // one pipeline only
  EXPECT_EQ(complete({"dlq", "list", "--pipeline", "o"}), "orders\n");
  EXPECT_EQ(complete({"files", "forget", "u"}), "users\n");
  EXPECT_EQ(complete({"status", "--config", "pipe"}), "pipelines\n");
  EXPECT_EQ(complete({"dlq", "list", "--limit", ""}), "");  // a number: nothing to offer

  const std::string spec = run_cli({"spec"}, dir_).out;
  const auto sources = connector_types(spec, "sources");
  const auto sinks = connector_types(spec, "sinks");
  ASSERT_FALSE(sources.empty());
  ASSERT_FALSE(sinks.empty());
  EXPECT_EQ(complete({"init", "orders", "--source", ""}), sorted_lines(sources));
  EXPECT_EQ(complete({"init", "orders", "--source", "generate", "--sink", ""}),
            sorted_lines(sinks));
  std::vector<std::string> all = sources;
  for (const auto& sink : sinks) {
    if (std::find(all.begin(), all.end(), sink) == all.end()) all.push_back(sink);
  }
  EXPECT_EQ(complete({"spec", ""}), sorted_lines(all));
}

// For every verb (and each of its subcommands), `--<TAB>` offers the options its manual
// documents, so completion and help cannot drift apart.
TEST_F(CompletionTest, OffersEveryDocumentedOption) {
  const std::string commands = manual_section(run_cli({"--help"}, dir_).out, "COMMANDS");
  std::vector<std::string> verbs;
  for (const auto& line : lines_of(commands)) {
    if (line.starts_with("    ")) verbs.push_back(line.substr(4, line.find(' ', 4) - 4));
  }
  ASSERT_GE(verbs.size(), 17u);
  EXPECT_EQ(complete({""}), sorted_lines([&] {
              auto words = verbs;
              words.insert(words.end(), {"--help", "--version"});
              return words;
            }()));
  for (const auto& verb : verbs) {
    SCOPED_TRACE(verb);
    const std::string manual = run_cli({verb, "--help"}, dir_).out;
    std::set<std::string> expected = documented_options(manual);
    expected.erase("-h");
    std::set<std::string> offered;
    std::vector<std::vector<std::string>> prefixes = {{verb}};
    for (const auto& sub : documented_subcommands(manual)) prefixes.push_back({verb, sub});
    for (auto words : prefixes) {
      words.push_back("--");
      for (const auto& option : lines_of(complete(words))) offered.insert(option);
    }
    EXPECT_EQ(offered, expected);
  }
}

}  // namespace
}  // namespace weft::test

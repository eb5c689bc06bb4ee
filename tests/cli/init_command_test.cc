// `weft init` as a user runs it: for every source and sink the binary has, the file it writes
// passes `weft validate` with a daemon config once the variables it names are set; it never
// overwrites a file without --force; mistakes are named.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "cli/manual_text.h"
#include "e2e/weft_process.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;

// The ${NAME} references on the lines of `yaml` that are not comments.
std::vector<std::string> variables_in(const std::string& yaml) {
  std::vector<std::string> names;
  static const std::regex reference("\\$\\{([A-Za-z_][A-Za-z0-9_]*)\\}");
  for (const auto& line : lines_of(yaml)) {
    if (line.find_first_not_of(' ') != std::string::npos &&
        line[line.find_first_not_of(' ')] == '#') {
      continue;
    }
    for (std::sregex_iterator it(line.begin(), line.end(), reference), end; it != end; ++it) {
      names.push_back((*it)[1]);
    }
  }
  return names;
}

// The top-level fields of connector `type` (`weft spec TYPE` of that kind), each with whether it
// is required: the FIELD and REQUIRED columns, without nested (dotted) fields.
std::vector<std::pair<std::string, bool>> top_level_fields(const std::string& spec_text) {
  std::vector<std::pair<std::string, bool>> out;
  bool table = false;
  for (const auto& line : lines_of(spec_text)) {
    if (line.starts_with("FIELD ")) {
      table = true;
      continue;
    }
    if (!table || line.empty()) {
      table = table && !line.empty();
      continue;
    }
    std::smatch row;
    static const std::regex columns("^([a-z_0-9]+) +[a-z ]+?  +(yes|no) ");
    if (std::regex_search(line, row, columns)) out.emplace_back(row[1], row[2] == "yes");
  }
  return out;
}

// The lines of the block `key:` (source or sink) of a pipeline file.
std::string block_of(const std::string& yaml, const std::string& key) {
  const auto start = yaml.find("\n" + key + ":\n");
  if (start == std::string::npos) return "";
  const auto end = yaml.find("\n\n", start + 1);
  return yaml.substr(start + 1, end == std::string::npos ? std::string::npos : end - start);
}

class InitCommandTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(InitCommandTest, EverySourceAndSinkPairValidates) {
  const std::string spec = run_cli({"spec"}, dir_).out;
  const auto sources = connector_types(spec, "sources");
  const auto sinks = connector_types(spec, "sinks");
  ASSERT_GE(sources.size(), 2u) << spec;
  ASSERT_GE(sinks.size(), 2u) << spec;
  dir_.write("config/weft.yaml", "state:\n  path: ../data/weft.db\npipelines:\n  dir: ../p\n");
  for (const auto& source : sources) {
    for (const auto& sink : sinks) {
      SCOPED_TRACE(source + " -> " + sink);
      fs::remove_all(dir_.path() / "p");
      const std::string file = dir_.file("p/pair.yaml");
      CliResult result =
          run_cli({"init", "pair", "--source", source, "--sink", sink, "--output", file}, dir_);
      ASSERT_EQ(result.code, 0) << result.err;
      EXPECT_NE(result.out.find("wrote " + file), std::string::npos) << result.out;
      const std::string yaml = slurp(file);
      EXPECT_NE(yaml.find("\nsource:\n  type: " + source + "\n"), std::string::npos) << yaml;
      EXPECT_NE(yaml.find("\nsink:\n  type: " + sink + "\n"), std::string::npos) << yaml;
      for (const char* block : {"# retry:\n", "# dlq:\n", "# batch:\n"}) {
        EXPECT_NE(yaml.find("\n" + std::string(block)), std::string::npos) << block;
      }
      for (const auto& line : lines_of(yaml)) EXPECT_LE(line.size(), 100u) << line;

      std::vector<std::string> env;
      for (const auto& name : variables_in(yaml)) {
        env.push_back(name + "=example-value-of-" + name);
        EXPECT_NE(result.out.find(name), std::string::npos) << "not announced: " << name;
        EXPECT_NE(yaml.find("variables it reads: "), std::string::npos);
      }
      result = run_cli({"validate", "--config", dir_.file("config/weft.yaml")}, dir_, env);
      EXPECT_EQ(result.code, 0) << result.err << "\n" << yaml;
      EXPECT_EQ(result.out, "ok: 1 pipeline(s) valid\n");
    }
  }
}

TEST_F(InitCommandTest, SetsEveryRequiredSettingAndShowsEveryOther) {
  const std::string spec = run_cli({"spec"}, dir_).out;
  for (const char* kind : {"sources", "sinks"}) {
    for (const auto& type : connector_types(spec, kind)) {
      SCOPED_TRACE(type);
      const bool is_source = std::string(kind) == "sources";
      const CliResult result = run_cli({"init", "x", "--source", is_source ? type : "generate",
                                        "--sink", is_source ? "file" : type, "--output", "-"},
                                       dir_);
      ASSERT_EQ(result.code, 0) << result.err;
      const std::string block = block_of(result.out, is_source ? "source" : "sink");
      // `weft spec kafka` describes the source and then the sink: take the right table.
      std::string text = run_cli({"spec", type}, dir_).out;
      const auto second = text.find("\n" + type + " (sink)");
      if (second != std::string::npos)
        text = is_source ? text.substr(0, second) : text.substr(second);
      const auto fields = top_level_fields(text);
      ASSERT_FALSE(fields.empty()) << text;
      for (const auto& [name, required] : fields) {
        const bool set = block.find("\n  " + name + ":") != std::string::npos;
        const bool commented = block.find("\n  # " + name + ":") != std::string::npos;
        EXPECT_TRUE(set || commented) << name << " missing in\n" << block;
        EXPECT_TRUE(set || !required) << name << " is required but not set in\n" << block;
      }
    }
  }
}

TEST_F(InitCommandTest, WritesPipelinesNameYamlAndRefusesToOverwriteWithoutForce) {
  const std::vector<std::string> init = {weft_binary(), "init",   "orders", "--source",
                                         "generate",    "--sink", "file"};
  CliResult result = run_program(init, dir_, {}, dir_.path().string());
  ASSERT_EQ(result.code, 0) << result.err;
  const std::string file = dir_.file("pipelines/orders.yaml");
  const std::string first = slurp(file);
  EXPECT_TRUE(first.starts_with("# Pipeline orders: from a generate source to a file sink."));
  EXPECT_NE(first.find("\nname: orders\n"), std::string::npos);

  dir_.write("pipelines/orders.yaml", "name: mine\n");
  result = run_program(init, dir_, {}, dir_.path().string());
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err,
            "weft init: pipelines/orders.yaml already exists; not overwriting it (--force "
            "replaces it, or --output FILE writes elsewhere)\n");
  EXPECT_EQ(slurp(file), "name: mine\n");

  std::vector<std::string> forced = init;
  forced.push_back("--force");
  result = run_program(forced, dir_, {}, dir_.path().string());
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(slurp(file), first);
  EXPECT_FALSE(fs::exists(file + ".tmp"));
}

TEST_F(InitCommandTest, UnknownTypesAreNamedWithTheValidOnes) {
  const std::string spec = run_cli({"spec"}, dir_).out;
  CliResult result = run_cli({"init", "x", "--source", "nosuch", "--sink", "file"}, dir_);
  EXPECT_EQ(result.code, 2);
  EXPECT_TRUE(
      result.err.starts_with("weft init: no source named 'nosuch'; --source takes one of: "))
      << result.err;
  for (const auto& type : connector_types(spec, "sources")) {
    EXPECT_NE(result.err.find(type), std::string::npos) << type;
  }
  result = run_cli({"init", "x", "--source", "generate", "--sink", "generate"}, dir_);
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("no sink named 'generate' ('generate' is a source)"), std::string::npos)
      << result.err;
  result = run_cli({"init", "x", "--source", "kafak", "--sink", "file"}, dir_);
  EXPECT_NE(result.err.find("(did you mean 'kafka'?)"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir_.file("pipelines")));
}

TEST_F(InitCommandTest, MistakesAreUsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"init", "Orders", "--source", "generate", "--sink", "file"},
       "weft init: invalid pipeline name 'Orders': use 1 to 63 characters"},
      {{"init", "--source", "generate", "--sink", "file"},
       "weft init: name the pipeline: weft init NAME ..."},
      {{"init", "x", "--sink", "file"}, "weft init: --source is required"},
      {{"init", "x", "--source", "generate"}, "weft init: --sink is required"},
      {{"init", "x", "--source"}, "weft init: --source needs a value"},
  };
  for (const auto& [args, message] : cases) {
    const CliResult result = run_cli(args, dir_);
    EXPECT_EQ(result.code, 2) << message;
    EXPECT_TRUE(result.err.starts_with(message)) << result.err;
  }
}

TEST_F(InitCommandTest, DashWritesToStandardOutputOnly) {
  const CliResult result = run_program(
      {weft_binary(), "init", "demo", "--source", "generate", "--sink", "file", "--output", "-"},
      dir_, {}, dir_.path().string());
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.out.find("\nname: demo\n"), std::string::npos) << result.out;
  EXPECT_FALSE(fs::exists(dir_.file("pipelines")));
}

}  // namespace
}  // namespace weft::test

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/pipeline_config.h"
#include "config_test_util.h"

namespace weft {
namespace {

using ::testing::ElementsAre;

std::string pipeline(const std::string& name) {
  return "name: " + name + "\nsource: {type: generate}\nsink: {type: file, path: /o}\n";
}

std::vector<std::string> names(const PipelineSet& set) {
  std::vector<std::string> out;
  for (const auto& p : set.pipelines) out.push_back(p.name);
  return out;
}

class PipelineDir : public ::testing::Test {
 protected:
  PipelineSet load() { return load_pipeline_dir(dir_.path().string(), registry_, env_); }

  testing::TempDir dir_;
  Registry registry_ = testing::test_registry();
  Environment env_ = testing::fake_env();
};

TEST_F(PipelineDir, LoadsYamlAndYmlFilesSortedByName) {
  dir_.write("b.yml", pipeline("beta"));
  dir_.write("a.yaml", pipeline("alpha"));
  dir_.write("c.yaml", pipeline("gamma"));
  dir_.write("notes.txt", "not yaml");
  dir_.write(".a.yaml.swp", "junk");
  dir_.write("sub/d.yaml", pipeline("delta"));  // not recursive
  PipelineSet set = load();
  EXPECT_THAT(testing::formatted(set.errors), ElementsAre());
  EXPECT_THAT(names(set), ElementsAre("alpha", "beta", "gamma"));
  EXPECT_THAT(set.failed_files, ElementsAre());
}

TEST_F(PipelineDir, DuplicateNameIsAnErrorOnTheLaterFileNamingTheEarlier) {
  const std::string first = dir_.write("a.yaml", pipeline("orders"));
  const std::string second = dir_.write("b.yaml", "# copy of a\n" + pipeline("orders"));
  PipelineSet set = load();
  EXPECT_THAT(names(set), ElementsAre("orders"));
  EXPECT_EQ(set.pipelines[0].file, first);
  EXPECT_THAT(testing::formatted(set.errors),
              ElementsAre(second + ":2:7: error: pipeline name 'orders' is already used by " +
                          first + " (hint: pipeline names must be unique; rename one of the two)"));
  EXPECT_THAT(set.failed_files, ElementsAre(second));
}

TEST_F(PipelineDir, ValidPipelinesSurviveBrokenFiles) {
  dir_.write("a.yaml", pipeline("alpha"));
  const std::string broken = dir_.write("b.yaml", "name: beta\nsource: {type: nope}\n");
  const std::string empty = dir_.write("c.yaml", "");
  dir_.write("d.yaml", pipeline("delta"));
  PipelineSet set = load();
  EXPECT_THAT(names(set), ElementsAre("alpha", "delta"));
  EXPECT_THAT(set.failed_files, ElementsAre(broken, empty));
  EXPECT_THAT(
      testing::formatted(set.errors),
      ElementsAre(broken + ":1:1: error: missing required field 'sink' "
                           "(hint: available sink types: file, http)",
                  broken + ":2:16: error: unknown source type 'nope' "
                           "(hint: available source types: generate, postgres)",
                  empty + ": error: file is empty (hint: a pipeline file needs at least 'name', "
                          "'source' and 'sink')"));
}

TEST_F(PipelineDir, MissingDirectoryIsADiagnostic) {
  const std::string missing = (dir_.path() / "absent").string();
  PipelineSet set = load_pipeline_dir(missing, registry_, env_);
  EXPECT_TRUE(set.pipelines.empty());
  EXPECT_THAT(testing::formatted(set.errors),
              ElementsAre(missing + ": error: cannot read pipeline directory: No such file or "
                                    "directory"));
}

TEST_F(PipelineDir, EmptyDirectoryHasNoPipelinesAndNoErrors) {
  PipelineSet set = load();
  EXPECT_TRUE(set.pipelines.empty());
  EXPECT_TRUE(set.errors.empty());
}

}  // namespace
}  // namespace weft

// `weft files forget` as an operator runs it: the real binary on a state file.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "state/state_store.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

using Versions = std::vector<std::optional<std::string>>;

class FilesCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_state_store(state_path_);
    ASSERT_TRUE(store.ok()) << store.error().message();
    for (const char* key : {"in/a.csv", "in/b.csv", "archive/c.csv"}) {
      ASSERT_TRUE(
          (*store)->record_processed("drops", {{key, "etag", 1, true}}, Clock::now()).ok());
    }
    ASSERT_TRUE(
        (*store)->record_processed("other", {{"in/a.csv", "etag", 1, true}}, Clock::now()).ok());
  }

  Versions versions(const std::string& pipeline) {
    auto store = open_sqlite_state_store(state_path_);
    EXPECT_TRUE(store.ok());
    auto found = (*store)->processed_versions(pipeline, {"in/a.csv", "in/b.csv", "archive/c.csv"});
    EXPECT_TRUE(found.ok());
    return found.ok() ? *found : Versions{};
  }

  TempDir dir_;
  std::string state_path_ = dir_.file("weft.db");
};

TEST_F(FilesCommandTest, ForgetsOnePipelinesObjectsUnderAPrefix) {
  CliResult r = run_cli({"files", "forget", "drops", "in/", "--state", state_path_}, dir_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "forgot 2 processed object(s) of pipeline 'drops' under 'in/'; they are read again "
            "at its next poll\n");
  EXPECT_EQ(versions("drops"), (Versions{std::nullopt, std::nullopt, "etag"}));
  EXPECT_EQ(versions("other"), (Versions{"etag", std::nullopt, std::nullopt}));

  r = run_cli({"files", "forget", "drops", "--state", state_path_}, dir_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(versions("drops"), (Versions{std::nullopt, std::nullopt, std::nullopt}));
}

TEST_F(FilesCommandTest, MistakesAreUsageErrors) {
  EXPECT_EQ(run_cli({"files", "forget", "--state", state_path_}, dir_).code, 2);
  EXPECT_EQ(run_cli({"files", "remember", "drops", "--state", state_path_}, dir_).code, 2);
  CliResult r = run_cli({"files", "forget", "drops", "--state", dir_.file("nope.db")}, dir_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace weft::test

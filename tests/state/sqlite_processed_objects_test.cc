// The files source's ledger in the SQLite state store: versions per pipeline and key, replaced
// by a newer version, forgotten by prefix, and kept across a restart.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

using state_test::open_store_or_fail;
using state_test::TempDir;

using Versions = std::vector<std::optional<std::string>>;

class ProcessedObjectsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    store_ = open_store_or_fail(path_);
    ASSERT_TRUE(store_);
  }
  Versions versions(const std::string& pipeline, const std::vector<std::string>& keys) {
    auto found = store_->processed_versions(pipeline, keys);
    EXPECT_TRUE(found.ok()) << found.error().message();
    return found.ok() ? *found : Versions{};
  }
  void mark(const std::string& pipeline, const std::string& key, const std::string& version) {
    Status s = store_->mark_processed(pipeline, key, version, Clock::now());
    ASSERT_TRUE(s.ok()) << s.error().message();
  }

  TempDir dir_;
  std::string path_ = dir_.file("state.db");
  std::unique_ptr<StateStore> store_;
};

TEST_F(ProcessedObjectsStoreTest, VersionsArePerPipelineAndSurviveARestart) {
  EXPECT_EQ(versions("a", {"in/x.csv", "in/y.csv"}), (Versions{std::nullopt, std::nullopt}));
  mark("a", "in/x.csv", "etag-1");
  mark("b", "in/y.csv", "etag-9");
  reopen();
  EXPECT_EQ(versions("a", {"in/x.csv", "in/y.csv"}), (Versions{"etag-1", std::nullopt}));
  EXPECT_EQ(versions("b", {"in/y.csv"}), (Versions{"etag-9"}));
}

TEST_F(ProcessedObjectsStoreTest, ANewVersionReplacesTheOldOne) {
  mark("a", "x.csv", "etag-1");
  mark("a", "x.csv", "etag-2");
  EXPECT_EQ(versions("a", {"x.csv"}), (Versions{"etag-2"}));
}

TEST_F(ProcessedObjectsStoreTest, ForgettingByPrefixMakesObjectsNewAgain) {
  mark("a", "2026/11/x.csv", "1");
  mark("a", "2026/11/y.csv", "2");
  mark("a", "2026/12/z.csv", "3");
  mark("b", "2026/11/x.csv", "4");
  auto forgotten = store_->forget_processed("a", "2026/11/");
  ASSERT_TRUE(forgotten.ok()) << forgotten.error().message();
  EXPECT_EQ(*forgotten, 2u);
  EXPECT_EQ(versions("a", {"2026/11/x.csv", "2026/12/z.csv"}), (Versions{std::nullopt, "3"}));
  EXPECT_EQ(versions("b", {"2026/11/x.csv"}), (Versions{"4"}));
  forgotten = store_->forget_processed("a", "");
  ASSERT_TRUE(forgotten.ok());
  EXPECT_EQ(*forgotten, 1u);
}

}  // namespace
}  // namespace weft

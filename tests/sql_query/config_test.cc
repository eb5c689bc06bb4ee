// The `sql_query` settings a user can get wrong are reported by `weft validate`, at the field.

#include "connectors/sources/sql_query/config.h"

#include <gtest/gtest.h>

#include "config/environment.h"
#include "config/pipeline_config.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::sql_query {
namespace {

class SqlQueryConfigTest : public ::testing::Test {
 protected:
  // The errors of a pipeline whose source block is `block`, each formatted as weft validate
  // prints it; empty when it is valid.
  std::vector<std::string> errors(const std::string& block) {
    std::string text = "name: sq\nsource:\n  type: sql_query\n";
    std::size_t start = 0;
    while (start < block.size()) {
      auto end = block.find('\n', start);
      if (end == std::string::npos) end = block.size();
      text += "  " + block.substr(start, end - start) + "\n";
      start = end + 1;
    }
    text += "sink:\n  type: file\n  path: out.jsonl\n";
    auto loaded =
        load_pipeline_file(temp_.write("p.yaml", text), builtin_registry(), Environment::process());
    std::vector<std::string> out;
    for (const auto& e : loaded.errors) out.push_back(e.format());
    if (out.empty() && loaded.ok()) settings_ = loaded.value->source.settings;
    return out;
  }

  static bool any_contains(const std::vector<std::string>& texts, const std::string& part) {
    for (const auto& t : texts) {
      if (t.find(part) != std::string::npos) return true;
    }
    return false;
  }

  test::TempDir temp_;
  Settings settings_;
};

constexpr const char* kColumns = "watermark_column: updated_at\nkey_column: id\n";

TEST_F(SqlQueryConfigTest, NeitherQueryNorTableSaysToSetOne) {
  auto e = errors(std::string("path: app.db\n") + kColumns);
  ASSERT_FALSE(e.empty());
  EXPECT_TRUE(any_contains(e, "query")) << e[0];
  EXPECT_TRUE(any_contains(e, "set `query` (a SELECT) or `table`")) << e[0];
}

TEST_F(SqlQueryConfigTest, BothQueryAndTableIsAnError) {
  auto e = errors(std::string("path: app.db\ntable: t\nquery: SELECT 1\n") + kColumns);
  ASSERT_FALSE(e.empty());
  EXPECT_TRUE(any_contains(e, "not both")) << e[0];
}

TEST_F(SqlQueryConfigTest, EachDialectNeedsItsOwnWayToTheData) {
  auto no_dsn = errors(std::string("dialect: postgres\ntable: t\n") + kColumns);
  ASSERT_FALSE(no_dsn.empty());
  EXPECT_TRUE(any_contains(no_dsn, "set `dsn`")) << no_dsn[0];
  auto dsn_for_sqlite = errors(std::string("dsn: 'host=db'\ntable: t\n") + kColumns);
  ASSERT_FALSE(dsn_for_sqlite.empty());
  EXPECT_TRUE(any_contains(dsn_for_sqlite, "dialect: postgres")) << dsn_for_sqlite[0];
  auto no_path = errors(std::string("table: t\n") + kColumns);
  ASSERT_FALSE(no_path.empty());
  EXPECT_TRUE(any_contains(no_path, "set `path`")) << no_path[0];
}

TEST_F(SqlQueryConfigTest, TheWatermarkAndKeyAreRequiredAndDistinct) {
  auto missing = errors("path: app.db\ntable: t\n");
  EXPECT_TRUE(any_contains(missing, "watermark_column"));
  EXPECT_TRUE(any_contains(missing, "key_column"));
  auto same = errors("path: app.db\ntable: t\nwatermark_column: id\nkey_column: id\n");
  ASSERT_FALSE(same.empty());
  EXPECT_TRUE(any_contains(same, "must differ from watermark_column")) << same[0];
}

TEST_F(SqlQueryConfigTest, DefaultsAndATrailingSemicolon) {
  ASSERT_TRUE(
      errors(std::string("path: app.db\nquery: 'SELECT * FROM t;  '\n") + kColumns).empty());
  auto config = SqlQueryConfig::from(settings_);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->dialect, Dialect::kSqlite);
  EXPECT_EQ(config->query, "SELECT * FROM t");
  EXPECT_EQ(config->page_size, 10000u);
  EXPECT_EQ(config->poll_interval, std::chrono::minutes(1));
  EXPECT_EQ(config->settle, std::chrono::milliseconds(0));
  EXPECT_FALSE(config->initial_watermark);
  EXPECT_EQ(config->path, (temp_.path() / "app.db").string()) << "relative to the pipeline file";
}

TEST_F(SqlQueryConfigTest, TheDsnIsASecret) {
  const auto* info = builtin_registry().find(ConnectorKind::kSource, "sql_query");
  ASSERT_NE(info, nullptr);
  ASSERT_NE(info->spec.find("dsn"), nullptr);
  EXPECT_TRUE(info->spec.find("dsn")->is_secret);
}

}  // namespace
}  // namespace weft::sql_query

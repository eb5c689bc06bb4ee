// What `weft validate` says about rest sources: each mistake named at its file, line and field.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/environment.h"
#include "config/pipeline_loader.h"
#include "support/guide_examples.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft {
namespace {

class RestConfigTest : public ::testing::Test {
 protected:
  // The errors of a pipeline whose source block is `source` (indented by the caller).
  std::string errors_of(const std::string& source) {
    const std::string path = temp_.write("p.yaml", "name: p\nsource:\n  type: rest\n" + source +
                                                       "sink:\n  type: file\n  path: out.jsonl\n");
    auto loaded = load_pipeline_file(path, builtin_registry(), Environment{});
    std::string text;
    for (const auto& e : loaded.errors) text += e.format() + "\n";
    return text;
  }

  test::TempDir temp_;
};

TEST_F(RestConfigTest, CompleteBlocksHaveNoErrors) {
  EXPECT_EQ(errors_of("  url: https://api.stripe.com/v1/customers\n  records: $.data\n"
                      "  primary_key: $.id\n  paginator: {type: stripe}\n"
                      "  incremental: {cursor_field: $.created, param: 'created[gte]', "
                      "lookback: 1h}\n  auth: {type: bearer, token: sk_test}\n"
                      "  schedule: {cron: '*/15 * * * *'}\n"),
            "");
  EXPECT_EQ(errors_of("  url: https://x.service-now.com/api/now/table/incident\n"
                      "  records: $.result\n  query: {sysparm_query: "
                      "'sys_updated_on>={cursor}^ORDERBYsys_updated_on'}\n"
                      "  paginator: {type: offset, offset_param: sysparm_offset, limit_param: "
                      "sysparm_limit, total_header: X-Total-Count, concurrency: 4}\n"
                      "  incremental: {cursor_field: $.sys_updated_on, initial_value: "
                      "'2024-01-01 00:00:00'}\n"
                      "  auth: {type: oauth2, oauth2: {token_url: 'https://x/oauth_token.do', "
                      "client_id: c, client_secret: s}}\n"),
            "");
}

TEST_F(RestConfigTest, CrossFieldMistakesAreReportedAtTheirField) {
  std::string e = errors_of("  url: https://h/x\n  paginator: {type: cursor}\n");
  EXPECT_NE(e.find("paginator.cursor_path"), std::string::npos) << e;
  EXPECT_NE(e.find("needs cursor_path or cursor_header"), std::string::npos) << e;

  e = errors_of("  url: https://h/x\n  paginator: {type: page, concurrency: 3}\n");
  EXPECT_NE(e.find("paginator.concurrency"), std::string::npos) << e;

  e = errors_of("  url: https://h/x\n  incremental: {cursor_field: $.id}\n");
  EXPECT_NE(e.find("incremental.param"), std::string::npos) << e;

  e = errors_of(
      "  url: https://h/x\n  incremental: {cursor_field: $.id, param: since, "
      "cursor_type: number, lookback: 1h}\n");
  EXPECT_NE(e.find("incremental.lookback"), std::string::npos) << e;

  e = errors_of("  url: https://h/x\n  auth: {type: bearer}\n");
  EXPECT_NE(e.find("auth.token"), std::string::npos) << e;

  e = errors_of("  url: https://h/x\n  auth: {type: oauth2, oauth2: {token_url: https://h/t}}\n");
  EXPECT_NE(e.find("auth.oauth2.client_id"), std::string::npos) << e;

  e = errors_of("  url: https://h/x\n  schedule: {cron: '* * *'}\n");
  EXPECT_NE(e.find("schedule.cron"), std::string::npos) << e;
  EXPECT_NE(e.find("has 3 fields"), std::string::npos) << e;
}

TEST_F(RestConfigTest, BadUrlsAndPathsNameTheFieldWithoutTheSecret) {
  std::string e = errors_of("  url: ftp://user:hunter2@h/x\n");
  EXPECT_NE(e.find("field 'source.url'"), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
  e = errors_of("  url: https://h/x\n  records: data[\n");
  EXPECT_NE(e.find("records"), std::string::npos) << e;
}

TEST_F(RestConfigTest, ACursorTemplateNeedsAStartValue) {
  std::string e = errors_of(
      "  url: https://h/x?since={cursor}\n  incremental: {cursor_field: "
      "$.updated_at}\n");
  EXPECT_NE(e.find("incremental.initial_value"), std::string::npos) << e;
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

// Every complete pipeline in the rest guide (a ```yaml block with a `name:`) validates, so the
// examples users copy keep working as the spec changes.
TEST(RestGuideTest, ItsPipelineExamplesValidate) {
  EXPECT_GE(test::validate_guide_examples(WEFT_SOURCE_DIR, "docs/connectors/rest.md"), 4);
}

}  // namespace
}  // namespace weft

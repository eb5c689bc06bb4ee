#include "config/spec_docs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace weft {
namespace {

using ::testing::HasSubstr;

TEST(SpecDocs, TextHasOneLinePerFieldThenTheExample) {
  const Registry registry = testing::test_registry();
  const std::string text = render_spec_text(*registry.find(ConnectorKind::kSource, "generate"));
  EXPECT_EQ(text,
            "generate (source)\n"
            "Emits synthetic records\n"
            "\n"
            "FIELD     TYPE      REQUIRED  DEFAULT  RANGE/ALLOWED  SECRET  DESCRIPTION\n"
            "rate      integer   no        100      1..100000      no      Records per second "
            "(e.g. 500)\n"
            "interval  duration  no                                no      Pause between bursts\n"
            "password  string    no                                yes     Not really needed\n"
            "pin       integer   no                                yes     A secret number\n"
            "\n"
            "EXAMPLE\n"
            "  type: generate\n"
            "  rate: 500\n");
}

TEST(SpecDocs, MarkdownTableFlattensNestedFieldsAndShowsUnits) {
  const Registry registry = testing::test_registry();
  const std::string postgres =
      render_spec_markdown(*registry.find(ConnectorKind::kSource, "postgres"));
  EXPECT_THAT(postgres, HasSubstr("# postgres (source)\n\nChange data capture from PostgreSQL\n"));
  EXPECT_THAT(postgres,
              HasSubstr("| Field | Type | Required | Default | Range / allowed | Secret | "
                        "Description |\n|---|---|---|---|---|---|---|\n"));
  EXPECT_THAT(postgres,
              HasSubstr("| `dsn` | string | yes |  |  | yes | libpq connection string |"));
  EXPECT_THAT(postgres, HasSubstr("| `tls.ca_file` | string | yes |  |  | no | CA bundle |"));
  EXPECT_THAT(postgres, HasSubstr("| `tls.verify` | boolean | no | `true` |  | no |  |"));

  const std::string file = render_spec_markdown(*registry.find(ConnectorKind::kSink, "file"));
  EXPECT_THAT(file, HasSubstr("| `max_size` | size | no | `64MiB` | >= 1KiB | no | Rotate after "
                              "this |"));
  EXPECT_THAT(file, HasSubstr("| `format` | enum | no | `json` | json, csv | no |  |"));
}

TEST(SpecDocs, MarkdownEndsWithTheExampleAsYaml) {
  const Registry registry = testing::test_registry();
  const std::string md = render_spec_markdown(*registry.find(ConnectorKind::kSource, "generate"));
  EXPECT_THAT(md, HasSubstr("\n## Example\n\n```yaml\ntype: generate\nrate: 500\n```\n"));
}

}  // namespace
}  // namespace weft

// Mapping configuration (model, map, filter, route): every mistake is reported by `weft
// validate` at the file, line and column where it was written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/pipeline_config.h"
#include "config_test_util.h"
#include "mapper/mapping.h"

namespace weft {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kCustomer = R"y(name: customer
version: v2
fields:
  id: {type: string, required: true}
  email: {type: string, required: true, pii: true}
  created_at: {type: timestamp}
)y";

class MappingConfig : public ::testing::Test {
 protected:
  void SetUp() override { dir_.write("models/customer.yaml", kCustomer); }

  Loaded<PipelineConfig> pipeline(const std::string& extra) {
    const std::string path =
        dir_.write("pipelines/p.yaml", "name: p\nsource: {type: generate}\nsink: {type: file, "
                                       "path: out.jsonl}\n" + extra);
    return load_pipeline_file(path, registry_, env_);
  }
  std::vector<std::string> errors(const std::string& extra) {
    return testing::formatted(pipeline(extra).errors);
  }
  std::string file(const std::string& relative) { return dir_.file(relative); }

  testing::TempDir dir_;
  Registry registry_ = testing::test_registry();
  Environment env_ = testing::fake_env();
};

TEST_F(MappingConfig, APipelineWithoutMappingKeysHasNoMapping) {
  auto loaded = pipeline("");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value->mapping, nullptr);
}

TEST_F(MappingConfig, ModelsAreFoundNextToThePipelinesDirectoryByNameAndVersion) {
  auto loaded = pipeline("model: customer@v2\nmap:\n  id: $.id\n  email: $.email\n");
  ASSERT_TRUE(loaded.ok()) << testing::formatted(loaded.errors)[0];
  ASSERT_NE(loaded.value->mapping, nullptr);
  const MappingSpec& spec = *loaded.value->mapping;
  ASSERT_NE(spec.model, nullptr);
  EXPECT_EQ(spec.model->ref(), "customer@v2");
  ASSERT_EQ(spec.fields.size(), 2u);
  EXPECT_EQ(spec.fields[1].type->name(), "string") << "rules take the model's type";
  EXPECT_TRUE(spec.fields[1].pii);
  EXPECT_EQ(loaded.value->redacted()["mapping"]["model"], "customer@v2");
}

TEST_F(MappingConfig, MissingModelsAndVersionMismatchesSayWhereTheyLooked) {
  EXPECT_THAT(errors("model: account\n"),
              ElementsAre(file("pipelines/p.yaml") + ":4:8: error: model 'account' not found: "
                          "looked for " + file("models/account.yaml") +
                          " (hint: set models_dir, or create the model file)"));
  EXPECT_THAT(errors("model: customer@v3\nmap: {id: $.id, email: $.e}\n"),
              ElementsAre(HasSubstr("customer.yaml is version v2")));
}

TEST_F(MappingConfig, ErrorsInsideAModelFilePointIntoThatFile) {
  dir_.write("models/broken.yaml",
             "name: broken\nfields:\n  a: {type: strng}\n  b: {type: string, pattern: '(['}\n");
  auto found = errors("model: broken\n");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_THAT(found[0], HasSubstr(file("models/broken.yaml") + ":3:13: error: model field 'a': "));
  EXPECT_THAT(found[0], HasSubstr("unknown type 'strng'"));
  EXPECT_THAT(found[1], HasSubstr(file("models/broken.yaml") + ":4:30: error: model field 'b': "
                                  "pattern '([' is not a valid regular expression"));
}

TEST_F(MappingConfig, MapRulesAreCheckedAgainstTheModel) {
  auto found = errors("model: customer@v2\nmap:\n  id: $.id\n  emial: $.email\n");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_THAT(found[0], HasSubstr("p.yaml:6:3: error: model customer@v2 requires 'email' but the "
                                  "map does not set it"));
  EXPECT_THAT(found[1], HasSubstr("p.yaml:7:3: error: map field 'emial' is not in model "
                                  "customer@v2 (hint: did you mean 'email'?)"));
  EXPECT_THAT(errors("model: customer@v2\nmap: {id: $.id, email: {from: $.e, type: int}}\n"),
              ElementsAre(HasSubstr("type int contradicts model customer@v2, which says string")));
}

TEST_F(MappingConfig, BadRulesSayWhatToWriteInstead) {
  EXPECT_THAT(errors("map:\n  plan: pro\n"),
              ElementsAre(HasSubstr("p.yaml:5:9: error: field 'map.plan': 'pro' is not a path "
                                    "(hint: a path starts with $ ($.data.email) or @ (@key); "
                                    "write a constant as {value: pro})")));
  EXPECT_THAT(errors("map:\n  a: {from: $.a, value: 1}\n"),
              ElementsAre(HasSubstr("set only one of from, coalesce, value, cases and crosswalk")));
  EXPECT_THAT(errors("map:\n  a: {fn: [trim]}\n"), ElementsAre(HasSubstr("nothing to read")));
  EXPECT_THAT(errors("map:\n  a: {from: $.a, fn: [lowr]}\n"),
              ElementsAre(HasSubstr("p.yaml:5:22: error: field 'map.a.fn': unknown function "
                                    "'lowr' (did you mean 'lower'?)")));
  EXPECT_THAT(errors("map:\n  a: {from: $.a, fn: [\"replace('x')\"]}\n"),
              ElementsAre(HasSubstr("replace takes 2 arguments")));
  EXPECT_THAT(errors("map:\n  a: {from: \"$.items[x]\"}\n"),
              ElementsAre(HasSubstr("field 'map.a.from': bad JSON path '$.items[x]'")));
  EXPECT_THAT(errors("map:\n  a: {crosswalk: {entity: customer, from: $.id}}\n"),
              ElementsAre(HasSubstr("missing required field 'map.a.crosswalk.system'")));
  EXPECT_THAT(errors("map:\n  a: {from: $.a, type: datetime}\n"),
              ElementsAre(HasSubstr("field 'map.a.type': unknown type 'datetime'")));
}

TEST_F(MappingConfig, CasesAreCheckedAtLoadTime) {
  EXPECT_THAT(errors("map:\n  s:\n    cases: active\n"),
              ElementsAre(HasSubstr("field 'map.s.cases': expected a list")));
  EXPECT_THAT(errors("map:\n  s:\n    cases:\n      - {value: a}\n      - {when: \"$.x\", value: b}\n"),
              ElementsAre(HasSubstr("p.yaml:8:9: error: field 'map.s.cases[1]' is never reached")));
  EXPECT_THAT(errors("map:\n  s:\n    cases:\n      - {when: \"$.x\", value: a, from: $.y}\n"),
              ElementsAre(HasSubstr("set exactly one of value and from")));
  EXPECT_THAT(errors("map:\n  s:\n    cases:\n      - {when: \"$.x ==\", value: a}\n"),
              ElementsAre(HasSubstr("field 'map.s.cases[0].when': bad expression")));
  EXPECT_THAT(errors("map:\n  s:\n    value: a\n    cases: [{value: b}]\n"),
              ElementsAre(HasSubstr("set only one of from, coalesce, value, cases and crosswalk")));
}

TEST_F(MappingConfig, FormatAndUnitNeedATimestampOrDateField) {
  EXPECT_THAT(errors("map:\n  seen: {from: $.seen, unit: ms}\n"),
              ElementsAre(HasSubstr("p.yaml:5:3: error: map field 'seen': format and unit apply "
                                    "only to timestamp and date fields, and this one is untyped")));
  EXPECT_TRUE(pipeline("map:\n  seen: {from: $.seen, unit: ms, type: timestamp}\n").ok());
  EXPECT_TRUE(pipeline("model: customer@v2\nmap:\n  id: $.id\n  email: $.e\n"
                       "  created_at: {from: $.c, format: '%d/%m/%Y'}\n")
                  .ok())
      << "the model's timestamp type counts";
}

TEST_F(MappingConfig, ConditionsAreParsedAtLoadTime) {
  EXPECT_THAT(errors("filter: \"$.type == 'a' adn $.b\"\n"),
              ElementsAre(HasSubstr("p.yaml:4:9: error: field 'filter': bad expression")));
  EXPECT_THAT(errors("filter: {keep: \"$.a ==\"}\n"),
              ElementsAre(HasSubstr("field 'filter.keep': bad expression")));
  EXPECT_THAT(errors("filter: {}\n"), ElementsAre(HasSubstr("set keep or drop")));
  EXPECT_THAT(errors("route:\n  - {to: all}\n  - {when: \"$.a == 1\", to: a}\n"),
              ElementsAre(HasSubstr("p.yaml:6:5: error: field 'route[1]' is never reached")));
  EXPECT_THAT(errors("route:\n  - {when: \"$.a == 1\"}\n"),
              ElementsAre(HasSubstr("missing required field 'route[0].to'")));
}

TEST_F(MappingConfig, EditingTheModelFileChangesThePipelineFingerprint) {
  const std::string mapping = "model: customer@v2\nmap: {id: $.id, email: $.email}\n";
  auto before = pipeline(mapping);
  ASSERT_TRUE(before.ok());
  dir_.write("models/customer.yaml", std::string(kCustomer) + "  phone: {type: string}\n");
  auto after = pipeline(mapping);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(before.value->fingerprint, after.value->fingerprint)
      << "a reload must restart pipelines whose model changed";
}

TEST_F(MappingConfig, ConstantsPathsAndFiltersAreInterpolatedLikeEveryOtherSetting) {
  env_ = testing::fake_env({{"PLAN", "pro"}, {"PORT", "8080"}, {"FIELD", "$.email"}});
  auto loaded = pipeline("filter: \"$.plan == '${PLAN}'\"\nmap:\n  plan:\n    value: ${PLAN}\n"
                         "  port:\n    value: ${PORT}\n  quoted:\n    value: '${PORT}'\n"
                         "  email: ${FIELD}\n");
  ASSERT_TRUE(loaded.ok()) << testing::formatted(loaded.errors)[0];
  const MappingSpec& spec = *loaded.value->mapping;
  EXPECT_EQ(*spec.fields[0].constant, "pro");
  EXPECT_EQ(*spec.fields[1].constant, 8080) << "a plain scalar is typed after interpolation";
  EXPECT_EQ(*spec.fields[2].constant, "8080") << "a quoted one stays a string";
  EXPECT_EQ(spec.fields[3].source_text, "$.email");
  EXPECT_EQ(spec.keep_when->text(), "$.plan == 'pro'");
  EXPECT_THAT(errors("map:\n  plan:\n    value: ${MISSING}\n"),
              ElementsAre(HasSubstr("MISSING")));
}

TEST_F(MappingConfig, InlineModelsAndModelsDirWork) {
  dir_.write("shared/models/order.yaml", "name: order\nfields:\n  id: {type: int}\n");
  auto loaded = pipeline("models_dir: ../shared/models\nmodel: order\n");
  ASSERT_TRUE(loaded.ok()) << testing::formatted(loaded.errors)[0];
  EXPECT_EQ(loaded.value->mapping->model->ref(), "order@v1");
  auto inline_model = pipeline("model:\n  name: ping\n  fields: {at: {type: timestamp}}\n");
  ASSERT_TRUE(inline_model.ok()) << testing::formatted(inline_model.errors)[0];
  EXPECT_EQ(inline_model.value->mapping->model->ref(), "ping@v1");
}

}  // namespace
}  // namespace weft

#include "config/pipeline_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace weft {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class PipelineFile : public ::testing::Test {
 protected:
  Loaded<PipelineConfig> load(const std::string& yaml) {
    dir_.write("orders.yaml", yaml);
    return load_pipeline_file(path_, registry_, env_);
  }
  // "<file>:" prefix of this test's diagnostics.
  std::string at(const std::string& position) const { return path_ + ":" + position; }

  testing::TempDir dir_;
  Registry registry_ = testing::test_registry();
  Environment env_ = testing::fake_env({{"GEN_PW", "pw-secret-value"}, {"PIN", "hunter2"}},
                                       {{"/run/secrets/dsn", "host=db password=topsecret"}});
  const std::string path_ = (dir_.path() / "orders.yaml").string();
};

constexpr const char* kHappy = R"(name: orders
description: Orders to the lake
source:
  type: generate
  rate: 500
  password: ${GEN_PW}
sink:
  type: file
  path: /tmp/out.jsonl
batch:
  max_records: 50
)";

TEST_F(PipelineFile, LoadsAValidPipelineWithDefaults) {
  auto loaded = load(kHappy);
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(testing::formatted(loaded.errors));
  const PipelineConfig& p = *loaded.value;
  EXPECT_EQ(p.name, "orders");
  EXPECT_EQ(p.file, path_);
  EXPECT_EQ(p.source.type, "generate");
  EXPECT_EQ(p.source.info, registry_.find(ConnectorKind::kSource, "generate"));
  EXPECT_EQ(p.source.settings.integer("rate"), 500);
  EXPECT_EQ(p.source.settings.string("password"), "pw-secret-value");
  EXPECT_FALSE(p.source.settings.has("interval"));
  EXPECT_EQ(p.sink.type, "file");
  EXPECT_EQ(p.sink.settings.string("path"), "/tmp/out.jsonl");
  EXPECT_EQ(p.sink.settings.size("max_size"), 64u * 1024 * 1024);
  EXPECT_EQ(p.sink.settings.string("format"), "json");
  EXPECT_EQ(p.runtime.object("batch").integer("max_records"), 50);
  EXPECT_EQ(p.runtime.object("checkpoint").duration("interval"), std::chrono::seconds(1));
  EXPECT_EQ(p.runtime.object("buffer").integer("batches"), 4);
  EXPECT_FALSE(p.runtime.has("name"));
  EXPECT_EQ(p.fingerprint.size(), 64u);
  EXPECT_EQ(p.fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(PipelineFile, FingerprintFollowsTheResolvedConfiguration) {
  const std::string first = load(kHappy).value->fingerprint;
  EXPECT_EQ(load(kHappy).value->fingerprint, first);
  // Same text, different secret behind ${GEN_PW}: the pipeline must restart on reload.
  env_ = testing::fake_env({{"GEN_PW", "rotated"}});
  EXPECT_NE(load(kHappy).value->fingerprint, first);
  env_ = testing::fake_env({{"GEN_PW", "pw-secret-value"}});
  EXPECT_NE(load(std::string(kHappy) + "buffer: {batches: 8}\n").value->fingerprint, first);
}

TEST_F(PipelineFile, RedactedHidesSecretsAndKeepsTheRest) {
  auto loaded = load(kHappy);
  ASSERT_TRUE(loaded.ok());
  const nlohmann::json shown = loaded.value->redacted();
  EXPECT_EQ(shown["name"], "orders");
  EXPECT_EQ(shown["file"], path_);
  EXPECT_EQ(shown["source"]["type"], "generate");
  EXPECT_EQ(shown["source"]["password"], "***");
  EXPECT_EQ(shown["source"]["rate"], 500);
  EXPECT_EQ(shown["sink"]["path"], "/tmp/out.jsonl");
  EXPECT_EQ(shown["batch"]["max_records"], 50);
  EXPECT_EQ(shown["checkpoint"]["interval"], 1000);
  EXPECT_THAT(shown.dump(), Not(HasSubstr("pw-secret-value")));
}

TEST_F(PipelineFile, RedactedRecursesIntoNestedObjects) {
  auto loaded = load(
      "name: cdc\nsource:\n  type: postgres\n  dsn: ${file:/run/secrets/dsn}\n  slot: weft\n"
      "  tls: {ca_file: /ca.pem}\nsink: {type: http, url: 'http://x', token: t0k3n}\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(testing::formatted(loaded.errors));
  EXPECT_EQ(loaded.value->source.settings.string("dsn"), "host=db password=topsecret");
  const nlohmann::json shown = loaded.value->redacted();
  EXPECT_EQ(shown["source"]["dsn"], "***");
  EXPECT_EQ(shown["source"]["tls"]["ca_file"], "/ca.pem");
  EXPECT_EQ(shown["sink"]["token"], "***");
  EXPECT_THAT(shown.dump(), Not(HasSubstr("topsecret")));
}

TEST_F(PipelineFile, UnknownConnectorTypeListsTheAvailableOnes) {
  auto loaded = load("name: a\nsource:\n  type: kafka\nsink:\n  type: file\n  path: /o\n");
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(at("3:9: error: unknown source type 'kafka' "
                             "(hint: available source types: generate, postgres)")));
}

TEST_F(PipelineFile, UnknownConnectorTypeSuggestsATypoFixOrTheOtherKind) {
  auto loaded = load("name: a\nsource: {type: genrate}\nsink: {type: generate}\n");
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(at("2:16: error: unknown source type 'genrate' (hint: did you mean "
                             "'generate'? available source types: generate, postgres)"),
                          at("3:14: error: unknown sink type 'generate' (hint: 'generate' is a "
                             "source, not a sink; available sink types: file, http)")));
}

TEST_F(PipelineFile, ReportsEveryErrorInFileOrder) {
  auto loaded = load(R"(name: Orders
sorce:
  type: generate
source:
  type: generate
  rate: fast
  pin: ${PIN}
batch:
  max_records: 0
checkpoint:
  interval: 5ms
transforms: {}
)");
  EXPECT_FALSE(loaded.ok());
  EXPECT_FALSE(loaded.value.has_value());
  EXPECT_THAT(
      testing::formatted(loaded.errors),
      ElementsAre(
          at("1:1: error: missing required field 'sink' "
             "(hint: available sink types: file, http)"),
          at("1:7: error: invalid pipeline name 'Orders' (hint: use 1 to 63 characters: "
             "lowercase letters, digits, '_' and '-', starting with a letter or digit)"),
          at("2:1: error: unknown field 'sorce' (hint: did you mean 'source'?)"),
          at("6:9: error: field 'source.rate': expected integer, got 'fast' "
             "(hint: write a whole number)"),
          at("7:8: error: field 'source.pin': expected integer (value not shown: secret field) "
             "(hint: write a whole number)"),
          at("9:16: error: field 'batch.max_records': 0 is below the minimum of 1"),
          at("11:13: error: field 'checkpoint.interval': 5ms is below the minimum of 10ms"),
          at("12:1: error: unknown field 'transforms' (hint: valid fields: batch, buffer, "
             "checkpoint, circuit_breaker, description, dlq, filter, freshness, idempotency, "
             "map, model, models_dir, name, rate_limit, retry, route, sink, source)")));
  for (const auto& e : loaded.errors) EXPECT_THAT(e.format(), Not(HasSubstr("hunter2")));
}

TEST_F(PipelineFile, MissingTypeAndRequiredConnectorFieldsAreLocatedAtTheBlock) {
  auto loaded = load("name: a\nsource:\n  rate: 5\nsink:\n  type: file\n  pth: /o\n");
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(at("3:3: error: missing required field 'source.type' "
                             "(hint: available source types: generate, postgres)"),
                          at("5:3: error: missing required field 'sink.path' "
                             "(hint: File to write)"),
                          at("6:3: error: unknown field 'sink.pth' (hint: did you mean 'path'?)")));
}

TEST_F(PipelineFile, UnsetVariableNamesTheVariableAtItsScalar) {
  auto loaded = load("name: a\nsource:\n  type: postgres\n  dsn: ${PGDSN}\n  slot: s\n"
                     "sink: {type: file, path: '${file:/run/secrets/missing}'}\n");
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(at("4:8: error: field 'source.dsn': environment variable 'PGDSN' is "
                             "not set (hint: set it, or give a default with ${PGDSN:-value})"),
                          at("6:26: error: field 'sink.path': cannot read file "
                             "'/run/secrets/missing' referenced by ${file:...} (hint: check that "
                             "the file exists and is readable by the weft process)")));
}

TEST_F(PipelineFile, UnreadableMissingEmptyAndMalformedFiles) {
  auto missing = load_pipeline_file((dir_.path() / "nope.yaml").string(), registry_, env_);
  EXPECT_THAT(testing::formatted(missing.errors),
              ElementsAre((dir_.path() / "nope.yaml").string() +
                          ": error: cannot read file: No such file or directory"));
  auto directory = load_pipeline_file(dir_.path().string(), registry_, env_);
  EXPECT_THAT(testing::formatted(directory.errors),
              ElementsAre(dir_.path().string() + ": error: cannot read file: Is a directory"));
  EXPECT_THAT(testing::formatted(load("\n# just a comment\n").errors),
              ElementsAre(path_ + ": error: file is empty (hint: a pipeline file needs at least "
                                  "'name', 'source' and 'sink')"));
  EXPECT_THAT(testing::formatted(load("name: a\nsource: {type: generate\nsink: x\n").errors),
              ElementsAre(at("3:5: error: invalid YAML: end of map flow not found")));
}

}  // namespace
}  // namespace weft

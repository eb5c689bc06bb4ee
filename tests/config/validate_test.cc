// Validation of one YAML mapping against a ConfigSpec, on text in memory labelled "t.yaml".
#include "config/yaml_validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/yaml_document.h"
#include "config_test_util.h"

namespace weft {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

ConfigSpec test_spec() {
  ConfigSpec tls;
  tls.string("ca_file").required();
  tls.boolean("verify").default_value("true");
  ConfigSpec s;
  s.string("host").required().description("Server host name");
  s.integer("rate").default_value("100").min(1).max(1000);
  s.number("ratio").max(1);
  s.boolean("enabled").default_value("false");
  s.duration("timeout").default_value("5s").min(10).max(3600000);
  s.size("buffer").default_value("64KiB").max(1048576);
  s.enumeration("mode", {"fast", "safe"}).default_value("safe");
  s.string_list("tags");
  s.string_map("labels");
  s.string("password").secret();
  s.integer("pin").secret();
  s.object("tls", tls);
  return s;
}

struct Outcome {
  nlohmann::json value;
  std::vector<std::string> errors;
};

Outcome run(const std::string& yaml, const ConfigSpec& spec = test_spec(),
            const Environment& env = testing::fake_env({{"HOST", "db.internal"},
                                                        {"RATE", "abc"},
                                                        {"PIN", "hunter2"}})) {
  Diagnostics errors;
  auto root = parse_yaml_mapping(yaml, "t.yaml", "empty", errors);
  if (!root) return {nullptr, testing::formatted(errors)};
  Validation v{"t.yaml", &env, {}, {}};
  nlohmann::json value = validate_mapping(*root, spec.fields(), "", location_of(*root), {}, v);
  return {value, testing::formatted(v.errors)};
}

TEST(Validate, FillsDefaultsAndLeavesOutOptionalFieldsWithout) {
  Outcome out = run("host: a\n");
  EXPECT_THAT(out.errors, ElementsAre());
  EXPECT_EQ(out.value, nlohmann::json::parse(R"({"host": "a", "rate": 100, "enabled": false,
      "timeout": 5000, "buffer": 65536, "mode": "safe"})"));
}

TEST(Validate, ConvertsEveryType) {
  Outcome out = run(
      "host: a\nrate: 5\nratio: 0.5\nenabled: true\ntimeout: 1m30s\nbuffer: 10KB\nmode: fast\n"
      "tags: [x, y]\nlabels: {team: data}\npassword: pw\npin: 1234\ntls: {ca_file: /ca.pem}\n");
  EXPECT_THAT(out.errors, ElementsAre());
  EXPECT_EQ(out.value, nlohmann::json::parse(R"({"host": "a", "rate": 5, "ratio": 0.5,
      "enabled": true, "timeout": 90000, "buffer": 10000, "mode": "fast", "tags": ["x", "y"],
      "labels": {"team": "data"}, "password": "pw", "pin": 1234,
      "tls": {"ca_file": "/ca.pem", "verify": true}})"));
}

TEST(Validate, UnknownFieldSuggestsTheClosestName) {
  EXPECT_THAT(run("host: a\nrat: 5\n").errors,
              ElementsAre("t.yaml:2:1: error: unknown field 'rat' (hint: did you mean 'rate'?)"));
}

TEST(Validate, UnknownFieldWithoutCloseNameListsValidFields) {
  EXPECT_THAT(run("host: a\ncolour: red\n").errors,
              ElementsAre("t.yaml:2:1: error: unknown field 'colour' (hint: valid fields: buffer, "
                          "enabled, host, labels, mode, password, pin, rate, ratio, tags, "
                          "timeout, tls)"));
}

TEST(Validate, WrongTypeShowsValueAndPosition) {
  EXPECT_THAT(run("host: a\nrate: abc\n").errors,
              ElementsAre("t.yaml:2:7: error: field 'rate': expected integer, got 'abc' "
                          "(hint: write a whole number)"));
  EXPECT_THAT(run("host: [a]\n").errors,
              ElementsAre("t.yaml:1:7: error: field 'host': expected string, got a list"));
  EXPECT_THAT(run("host: a\ntls: 5\n").errors,
              ElementsAre("t.yaml:2:6: error: field 'tls': expected mapping, got '5'"));
  EXPECT_THAT(run("host: a\nratio: 1/2\n").errors,
              ElementsAre("t.yaml:2:8: error: field 'ratio': expected number, got '1/2'"));
}

TEST(Validate, BooleansAreLowercaseTrueOrFalseOnly) {
  for (const char* text : {"yes", "on", "True", "1"}) {
    EXPECT_THAT(run(std::string("host: a\nenabled: ") + text + "\n").errors,
                ElementsAre("t.yaml:2:10: error: field 'enabled': expected boolean, got '" +
                            std::string(text) + "' (hint: use true or false (lowercase))"));
  }
  EXPECT_EQ(run("host: a\nenabled: true\n").value["enabled"], true);
}

TEST(Validate, EmptyValueIsLocatedAtTheKey) {
  EXPECT_THAT(run("rate: 5\nhost:\n").errors,
              ElementsAre("t.yaml:2:1: error: field 'host': expected string, got an empty value "
                          "(hint: give it a value, or remove the line)"));
}

TEST(Validate, ReportsEveryErrorAtOnceWithDottedPaths) {
  Outcome out = run(
      "host: a\n"
      "rate: 0\n"
      "timeout: 5\n"
      "mode: fsat\n"
      "tls:\n"
      "  verify: yes\n"
      "  ca_fle: x\n");
  EXPECT_THAT(
      out.errors,
      ElementsAre(
          "t.yaml:2:7: error: field 'rate': 0 is below the minimum of 1",
          "t.yaml:3:10: error: field 'timeout': expected duration, got '5' "
          "(hint: add a unit, e.g. 5s or 5ms (units: ms, s, m, h, d))",
          "t.yaml:4:7: error: field 'mode': 'fsat' is not one of the allowed values "
          "(hint: did you mean 'fast'? allowed values: fast, safe)",
          "t.yaml:6:11: error: field 'tls.verify': expected boolean, got 'yes' "
          "(hint: use true or false (lowercase))",
          "t.yaml:7:3: error: unknown field 'tls.ca_fle' (hint: did you mean 'ca_file'?)",
          "t.yaml:6:3: error: missing required field 'tls.ca_file'"));
}

TEST(Validate, MissingRequiredFieldIsLocatedAtTheParentMapping) {
  EXPECT_THAT(run("# settings\nrate: 5\n").errors,
              ElementsAre("t.yaml:2:1: error: missing required field 'host' "
                          "(hint: Server host name)"));
}

TEST(Validate, DurationsAndSizesCompareInTheirUnitsAndPrintBoundsInUnits) {
  EXPECT_THAT(run("host: a\ntimeout: 5ms\n").errors,
              ElementsAre("t.yaml:2:10: error: field 'timeout': 5ms is below the minimum of 10ms"));
  EXPECT_THAT(run("host: a\ntimeout: 1h1s\n").errors,
              ElementsAre("t.yaml:2:10: error: field 'timeout': 1h1s is above the maximum of 1h"));
  EXPECT_THAT(run("host: a\nbuffer: 2MiB\n").errors,
              ElementsAre("t.yaml:2:9: error: field 'buffer': 2MiB is above the maximum of 1MiB"));
  EXPECT_THAT(run("host: a\nbuffer: 1MiB\ntimeout: 1h\n").errors, ElementsAre());
}

TEST(Validate, MalformedDurationsAndSizesExplainTheSyntax) {
  EXPECT_THAT(run("host: a\ntimeout: 5 seconds\n").errors,
              ElementsAre("t.yaml:2:10: error: field 'timeout': expected duration, got "
                          "'5 seconds' (hint: write an integer and a unit (ms, s, m, h, d), "
                          "e.g. 250ms, 5s or 1m30s)"));
  EXPECT_THAT(run("host: a\nbuffer: 10kb\n").errors,
              ElementsAre("t.yaml:2:9: error: field 'buffer': expected size, got '10kb' "
                          "(hint: write bytes, or an integer with B, KB, MB, GB, KiB, MiB or "
                          "GiB, e.g. 64KiB)"));
}

TEST(Validate, ListAndMapElementsAreCheckedWhereTheyAre) {
  EXPECT_THAT(run("host: a\ntags: x\n").errors,
              ElementsAre("t.yaml:2:7: error: field 'tags': expected list of strings, got 'x'"));
  EXPECT_THAT(run("host: a\ntags: [x, {y: z}]\n").errors,
              ElementsAre("t.yaml:2:11: error: field 'tags[1]': expected string, got a mapping"));
  EXPECT_THAT(run("host: a\nlabels:\n  team: [a]\n").errors,
              ElementsAre("t.yaml:3:9: error: field 'labels.team': expected string, got a list"));
}

TEST(Validate, DuplicateKeyIsAnError) {
  EXPECT_THAT(run("host: a\nhost: b\n").errors,
              ElementsAre("t.yaml:2:1: error: field 'host' is set twice "
                          "(hint: the first is at line 1)"));
}

TEST(Validate, InterpolatesBeforeConverting) {
  Outcome out = run("host: ${HOST}\ntags: ['$${HOST}', '${NONE:-none}']\n");
  EXPECT_THAT(out.errors, ElementsAre());
  EXPECT_EQ(out.value["host"], "db.internal");
  EXPECT_EQ(out.value["tags"], nlohmann::json::parse(R"(["${HOST}", "none"])"));
  EXPECT_THAT(run("host: a\nrate: ${RATE}\n").errors,
              ElementsAre("t.yaml:2:7: error: field 'rate': expected integer, got 'abc' "
                          "(hint: write a whole number)"));
}

TEST(Validate, UnsetVariableIsReportedAtItsScalar) {
  EXPECT_THAT(run("host: a\ntags:\n  - ok\n  - \"${DB_HOST}\"\n").errors,
              ElementsAre("t.yaml:4:5: error: field 'tags[1]': environment variable 'DB_HOST' is "
                          "not set (hint: set it, or give a default with ${DB_HOST:-value})"));
}

TEST(Validate, SecretValuesNeverAppearInDiagnostics) {
  const std::vector<std::string> direct = run("host: a\npin: hunter2\n").errors;
  EXPECT_THAT(direct, ElementsAre("t.yaml:2:6: error: field 'pin': expected integer "
                                  "(value not shown: secret field) (hint: write a whole number)"));
  const std::vector<std::string> interpolated = run("host: a\npin: ${PIN}\n").errors;
  ASSERT_EQ(interpolated.size(), 1u);
  EXPECT_THAT(interpolated[0], Not(HasSubstr("hunter2")));
  EXPECT_THAT(interpolated[0], HasSubstr("value not shown: secret field"));
}

TEST(Validate, InvalidDefaultInTheSpecIsReportedAtTheMapping) {
  ConfigSpec spec;
  spec.duration("wait").default_value("5");
  EXPECT_THAT(run("{}\n", spec).errors,
              ElementsAre("t.yaml:1:1: error: field 'wait': expected duration, got '5' "
                          "(hint: the field is not set, and this is the error in its default)"));
}

TEST(YamlDocument, SyntaxErrorsCarryOneBasedPositions) {
  EXPECT_THAT(run("host: a\n\trate: 2\n").errors,
              ElementsAre("t.yaml:2:1: error: invalid YAML: illegal tab when looking for "
                          "indentation"));
  EXPECT_THAT(run("host: a: b\n").errors,
              ElementsAre("t.yaml:1:8: error: invalid YAML: illegal map value"));
}

TEST(YamlDocument, RejectsEmptyNonMappingAndMultiDocumentFiles) {
  EXPECT_THAT(run("# nothing\n").errors, ElementsAre("t.yaml: error: file is empty (hint: empty)"));
  EXPECT_THAT(run("- a\n- b\n").errors,
              ElementsAre("t.yaml:1:1: error: expected a mapping of fields at the top level, got "
                          "a list (hint: write one 'field: value' per line)"));
  EXPECT_THAT(run("host: a\n---\nhost: b\n").errors,
              ElementsAre("t.yaml:3:1: error: file holds 2 YAML documents; expected one "
                          "(hint: remove the '---' separator, or split the file)"));
}

}  // namespace
}  // namespace weft

#include "config/interpolate.h"

#include <gtest/gtest.h>

#include "config_test_util.h"

namespace weft {
namespace {

const Environment kEnv = testing::fake_env({{"HOST", "db.internal"}, {"EMPTY", ""}},
                                           {{"/run/secrets/pw", "hunter2"}});

std::string resolved(const std::string& text) {
  Interpolation r = interpolate(text, kEnv);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.value;
}

TEST(Interpolate, ReplacesVariablesDefaultsAndFiles) {
  EXPECT_EQ(resolved("plain text"), "plain text");
  EXPECT_EQ(resolved("${HOST}"), "db.internal");
  EXPECT_EQ(resolved("postgres://${HOST}:5432/app"), "postgres://db.internal:5432/app");
  EXPECT_EQ(resolved("${MISSING:-fallback}"), "fallback");
  EXPECT_EQ(resolved("${EMPTY:-fallback}"), "fallback");  // empty counts as unset for :-
  EXPECT_EQ(resolved("${HOST:-fallback}"), "db.internal");
  EXPECT_EQ(resolved("${MISSING:-}"), "");
  EXPECT_EQ(resolved("${EMPTY}"), "");  // set but empty is not an error without :-
  EXPECT_EQ(resolved("${file:/run/secrets/pw}"), "hunter2");
  EXPECT_EQ(resolved("${HOST}/${file:/run/secrets/pw}"), "db.internal/hunter2");
}

TEST(Interpolate, EscapesAndLoneDollarsStayLiteral) {
  EXPECT_EQ(resolved("$${HOST}"), "${HOST}");
  EXPECT_EQ(resolved("cost: $5"), "cost: $5");
  EXPECT_EQ(resolved("$$"), "$$");
  EXPECT_EQ(resolved("a$"), "a$");
}

TEST(Interpolate, ReportsUnsetVariableByName) {
  Interpolation r = interpolate("x-${DB_PASSWORD}", kEnv);
  EXPECT_EQ(r.error, "environment variable 'DB_PASSWORD' is not set");
  EXPECT_EQ(r.hint, "set it, or give a default with ${DB_PASSWORD:-value}");
}

TEST(Interpolate, ReportsUnreadableFileByPath) {
  Interpolation r = interpolate("${file:/nope/secret}", kEnv);
  EXPECT_EQ(r.error, "cannot read file '/nope/secret' referenced by ${file:...}");
}

TEST(Interpolate, ReportsMalformedReferences) {
  EXPECT_EQ(interpolate("${HOST", kEnv).error, "unterminated '${' (no closing '}')");
  EXPECT_EQ(interpolate("${}", kEnv).error, "invalid variable name '' in '${...}'");
  EXPECT_EQ(interpolate("${1X}", kEnv).error, "invalid variable name '1X' in '${...}'");
  EXPECT_EQ(interpolate("${A:-${B}}", kEnv).error,
            "nested '${' in the default of ${A:-...}");
  EXPECT_EQ(interpolate("${file:}", kEnv).error, "empty path in '${file:}'");
}

}  // namespace
}  // namespace weft

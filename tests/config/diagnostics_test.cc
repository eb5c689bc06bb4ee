#include "config/diagnostics.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "config/environment.h"
#include "config_test_util.h"

namespace weft {
namespace {

TEST(Diagnostic, FormatsFileLineColumnMessageAndHint) {
  Diagnostic d{"pipelines/orders.yaml", 12, 5, "unknown field 'batchsize'",
               "did you mean 'batch'?"};
  EXPECT_EQ(d.format(),
            "pipelines/orders.yaml:12:5: error: unknown field 'batchsize' "
            "(hint: did you mean 'batch'?)");
}

TEST(Diagnostic, OmitsEmptyHintAndUnknownPosition) {
  Diagnostic d{"a.yaml", 3, 1, "missing required field 'name'", ""};
  EXPECT_EQ(d.format(), "a.yaml:3:1: error: missing required field 'name'");
  Diagnostic whole{"a.yaml", 0, 0, "file is empty", "add fields"};
  EXPECT_EQ(whole.format(), "a.yaml: error: file is empty (hint: add fields)");
}

TEST(ProcessEnvironment, ReadsVariables) {
  ::setenv("WEFT_CONFIG_TEST_VAR", "hello", 1);
  ::unsetenv("WEFT_CONFIG_TEST_UNSET");
  const Environment env = Environment::process();
  EXPECT_EQ(env.variable("WEFT_CONFIG_TEST_VAR"), "hello");
  EXPECT_EQ(env.variable("WEFT_CONFIG_TEST_UNSET"), std::nullopt);
}

TEST(ProcessEnvironment, ReadsFilesTrimmingExactlyOneTrailingNewline) {
  testing::TempDir dir;
  const Environment env = Environment::process();
  EXPECT_EQ(env.file(dir.write("one", "s3cret\n")), "s3cret");
  EXPECT_EQ(env.file(dir.write("crlf", "s3cret\r\n")), "s3cret");
  EXPECT_EQ(env.file(dir.write("two", "s3cret\n\n")), "s3cret\n");
  EXPECT_EQ(env.file(dir.write("none", "s3cret")), "s3cret");
  EXPECT_EQ(env.file((dir.path() / "missing").string()), std::nullopt);
  EXPECT_EQ(env.file(dir.path().string()), std::nullopt);  // a directory is not readable text
}

}  // namespace
}  // namespace weft

// What `weft validate` says about files sources, and the pure pieces of their settings.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "config/environment.h"
#include "config/pipeline_loader.h"
#include "files/files_config.h"
#include "files/files_position.h"
#include "support/guide_examples.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::files {
namespace {

class FilesConfigTest : public ::testing::Test {
 protected:
  // The errors of a pipeline whose source block is `source` (one field per line, unindented).
  std::string errors_of(const std::string& source) {
    std::string text = "name: p\nsource:\n  type: files\n";
    std::istringstream in(source);
    for (std::string line; std::getline(in, line);) text += "  " + line + "\n";
    text += "sink:\n  type: file\n  path: out.jsonl\n";
    auto loaded = load_pipeline_file(temp_.write("p.yaml", text), builtin_registry(), Environment{});
    std::string out;
    for (const auto& e : loaded.errors) out += e.format() + "\n";
    return out;
  }

  test::TempDir temp_;
};

TEST_F(FilesConfigTest, CompleteBlocksHaveNoErrors) {
  EXPECT_EQ(errors_of("url: file:///var/lib/drops\nglob: 'customers_*.csv'\n"
                      "csv: {delimiter: ';', null_if: ['NULL', '\\N'], skip_lines: 1}\n"
                      "after_read: move\nmove_to: processed/\non_error: skip_file\n"),
            "");
  EXPECT_EQ(errors_of("url: s3://acme-drops/incoming/\nendpoint: http://localhost:9000\n"
                      "access_key_id: AKIDEXAMPLE\nsecret_access_key: wJalrXUtnFEMI\n"
                      "format: json_array\njson: {records_path: $.data.items}\nmin_age: 1m\n"),
            "");
}

TEST_F(FilesConfigTest, MistakesAreNamedAtTheirField) {
  {
    const std::string e = errors_of("url: ftp://host/dir\n");
    EXPECT_NE(e.find("'source.url': must start with s3:// or file://"), std::string::npos) << e;
  }
  {
    const std::string e = errors_of("url: file://relative/dir\n");
    EXPECT_NE(e.find("file:///absolute/path"), std::string::npos) << e;
  }
  {
    const std::string e = errors_of("url: file:///d\npattern: 'customers_(.csv'\n");
    EXPECT_NE(e.find("'source.pattern': is not a valid regular expression"), std::string::npos) << e;
  }
  {
    const std::string e = errors_of("url: file:///d\nafter_read: move\n");
    EXPECT_NE(e.find("'source.move_to': is required with after_read: move"), std::string::npos) << e;
  }
  {
    const std::string e = errors_of("url: file:///d\ncsv: {delimiter: ';;'}\n");
    EXPECT_NE(e.find("'source.csv.delimiter': must be one character"), std::string::npos) << e;
  }
  {
    const std::string e = errors_of("url: file:///d\ncsv: {header: false}\n");
    EXPECT_NE(e.find("'source.csv.columns': is required when csv.header is false"), std::string::npos)
        << e;
  }
  {
    const std::string e = errors_of("url: file:///d\nformat: json_array\njson: {records_path: data}\n");
    EXPECT_NE(e.find("'source.json.records_path'"), std::string::npos) << e;
  }
  {
    const std::string e = errors_of("url: file:///d\nendpoint: http://x\n");
    EXPECT_NE(e.find("'source.endpoint': applies to s3:// locations only"), std::string::npos) << e;
  }
}

TEST_F(FilesConfigTest, S3CredentialsComeFromTheEnvironmentAndAreNeverEchoed) {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
    unsetenv(name);
  }
  EXPECT_EQ(errors_of("url: s3://b/\n"), "") << "validates where the environment has none";

  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env", 1);
  setenv("AWS_SESSION_TOKEN", "token-from-env", 1);
  auto loaded = load_pipeline_file(
      temp_.write("env.yaml", "name: p\nsource:\n  type: files\n  url: s3://b/in/\n"
                              "sink:\n  type: file\n  path: out.jsonl\n"),
      builtin_registry(), Environment{});
  for (const auto& error : loaded.errors) ADD_FAILURE() << error.format();
  ASSERT_TRUE(loaded.ok());
  auto config = FilesConfig::from(loaded.value->source.settings, Environment::process());
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->bucket, "b");
  EXPECT_EQ(config->prefix, "in/");
  EXPECT_EQ(config->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(config->credentials.secret_access_key, "secret-from-env");
  EXPECT_EQ(config->credentials.session_token, "token-from-env");
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
    unsetenv(name);
  }
}

TEST(FilesGlobTest, TranslatesToAnAnchoredRegex) {
  auto matches = [](const std::string& glob, const std::string& key) {
    return std::regex_match(key, std::regex(glob_to_regex(glob)));
  };
  EXPECT_TRUE(matches("customers_*.csv", "customers_2024.csv"));
  EXPECT_FALSE(matches("customers_*.csv", "x/customers_2024.csv"));
  EXPECT_FALSE(matches("customers_*.csv", "customers_1.csv.gz"));
  EXPECT_TRUE(matches("**/*.jsonl.gz", "a/b/c.jsonl.gz"));
  EXPECT_TRUE(matches("day-?.csv", "day-7.csv"));
  EXPECT_TRUE(matches("[ab]*.csv", "b1.csv"));
  EXPECT_FALSE(matches("[!ab]*.csv", "b1.csv"));
  EXPECT_TRUE(matches("a+b(1).csv", "a+b(1).csv"));
}

TEST(FilesFormatTest, ExtensionsNameTheirFormat) {
  EXPECT_EQ(format_from_extension("in/a.csv"), Format::kCsv);
  EXPECT_EQ(format_from_extension("in/a.csv.gz"), Format::kCsv);
  EXPECT_EQ(format_from_extension("a.jsonl"), Format::kJsonLines);
  EXPECT_EQ(format_from_extension("a.ndjson.gz"), Format::kJsonLines);
  EXPECT_EQ(format_from_extension("a.json"), Format::kJsonArray);
  EXPECT_EQ(format_from_extension("a.txt"), std::nullopt);
}

TEST(FilesPositionTest, RoundTripsKeysWithAnyCharacters) {
  for (const std::string key : {"a.csv", "in/x:y:z.csv", "dir/with space/ü.csv", "1:e:2:"}) {
    FilePosition p{7, key, "d41d8cd98f00b204e9800998ecf8427e-3", 42, true};
    auto back = FilePosition::decode(p.encode());
    ASSERT_TRUE(back.has_value()) << key;
    EXPECT_EQ(back->ordinal, 7u);
    EXPECT_EQ(back->key, key);
    EXPECT_EQ(back->etag, p.etag);
    EXPECT_EQ(back->line, 42u);
    EXPECT_TRUE(back->end);
  }
  EXPECT_FALSE(FilePosition::decode("0/16B3748").has_value());  // a CDC position
  EXPECT_FALSE(FilePosition::decode("1:4:x:0:a").has_value());
  EXPECT_FALSE(FilePosition::decode("1:4:m:99:a").has_value());
  EXPECT_FALSE(FilePosition::decode("4:m:0:a").has_value()) << "no ordinal";
}

}  // namespace
}  // namespace weft::files

namespace weft::files {
namespace {

// Every complete pipeline in the files guide (a ```yaml block starting with `name:`) validates,
// so the examples users copy keep working as the spec changes.
TEST(FilesGuideTest, ItsPipelineExamplesValidate) {
  EXPECT_GE(test::validate_guide_examples(WEFT_SOURCE_DIR, "docs/connectors/files.md"), 2);
}

}  // namespace
}  // namespace weft::files

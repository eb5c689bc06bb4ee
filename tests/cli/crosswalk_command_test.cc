// `weft crosswalk` as an operator runs it: the real binary on a state file, checking what it
// prints, its exit code, and the links in the store afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_runner.h"
#include "mapper/crosswalk.h"
#include "state/state_store.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

class CrosswalkCommandTest : public ::testing::Test {
 protected:
  // `weft crosswalk <command> --state <the test's state file> <the rest of args>`.
  CliResult crosswalk(std::vector<std::string> args, const std::string& state = "") {
    const auto after_command = args.empty() ? args.end() : args.begin() + 1;
    args.insert(after_command, {"--state", state.empty() ? state_path_ : state});
    args.insert(args.begin(), "crosswalk");
    return run_cli(args, dir_);
  }

  std::unique_ptr<StateStore> open_store(const std::string& path = "") {
    auto store = open_sqlite_state_store(path.empty() ? state_path_ : path);
    EXPECT_TRUE(store.ok()) << store.error().message();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::vector<std::string> stored(const std::string& path = "") {
    auto store = open_store(path);
    if (!store) return {};
    auto links = store->crosswalk_list({});
    EXPECT_TRUE(links.ok()) << links.error().message();
    std::vector<std::string> out;
    for (const auto& link : links.ok() ? *links : std::vector<CrosswalkLink>{}) {
      out.push_back(link.entity + "/" + link.system + "/" + link.external_id + "=" +
                    link.canonical_id);
    }
    return out;
  }

  TempDir dir_;
  std::string state_path_ = dir_.file("data/weft.db");
};

constexpr const char* kHeader = "entity,system,external_id,canonical_id\n";

TEST_F(CrosswalkCommandTest, ImportThenExportRoundTripsQuotedValues) {
  // CRLF line ends, a quoted comma and quotes, a line break inside quotes, a row to mint.
  const std::string input = dir_.write("links.csv",
                                       "entity,system,external_id,canonical_id\r\n"
                                       "customer,stripe,cus_2,c-2\r\n"
                                       "customer,salesforce,\"acme, \"\"the best\"\" inc\",c-1\r\n"
                                       "customer,stripe,cus_1,\r\n"
                                       "account,stripe,\"multi\nline\",a-1\r\n");
  auto result = crosswalk({"import", input});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "imported 4 links from " + input + "\n");
  EXPECT_EQ(result.err, "");

  const std::string minted = Crosswalk::stable_id("customer", "stripe", "cus_1");
  const std::string expected = std::string(kHeader) +
                               "account,stripe,\"multi\nline\",a-1\n"
                               "customer,salesforce,\"acme, \"\"the best\"\" inc\",c-1\n"
                               "customer,stripe,cus_1," +
                               minted +
                               "\n"
                               "customer,stripe,cus_2,c-2\n";
  result = crosswalk({"export"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, expected);
  EXPECT_EQ(result.err, "");

  // What export writes, import reads back to the same links.
  const std::string exported = dir_.file("exported.csv");
  result = crosswalk({"export", "--output", exported});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "exported 4 links to " + exported + "\n");
  EXPECT_EQ(slurp(exported), expected);
  EXPECT_FALSE(std::filesystem::exists(exported + ".tmp"));
  const std::string other_state = dir_.file("other/weft.db");
  result = crosswalk({"import", exported}, other_state);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(stored(other_state), stored());
  EXPECT_EQ(stored().size(), 4u);
}

TEST_F(CrosswalkCommandTest, ExportFiltersByEntityAndSystem) {
  const std::string input = dir_.write("links.csv", std::string(kHeader) +
                                                        "customer,stripe,cus_1,c-1\n"
                                                        "customer,salesforce,001,c-1\n"
                                                        "account,stripe,acct_1,a-1\n");
  ASSERT_EQ(crosswalk({"import", input}).code, 0);
  auto result = crosswalk({"export", "--entity", "customer"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, std::string(kHeader) +
                            "customer,salesforce,001,c-1\n"
                            "customer,stripe,cus_1,c-1\n");
  result = crosswalk({"export", "--system=stripe"});
  EXPECT_EQ(result.out, std::string(kHeader) +
                            "account,stripe,acct_1,a-1\n"
                            "customer,stripe,cus_1,c-1\n");
  result = crosswalk({"export", "--entity", "order"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, kHeader);
}

// More than one transaction of import and one page of export.
TEST_F(CrosswalkCommandTest, LargeFilesImportAndExportWhole) {
  constexpr int kLinks = 10050;
  std::string csv = "external_id,canonical_id\n";
  for (int i = 0; i < kLinks; ++i) {
    csv += "cus_" + std::to_string(100000 + i) + ",c-" + std::to_string(i) + "\n";
  }
  const std::string input = dir_.write("big.csv", csv);
  auto result = crosswalk({"import", input, "--entity", "customer", "--system", "stripe"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "imported 10050 links from " + input + "\n");

  result = crosswalk({"export"});
  ASSERT_EQ(result.code, 0) << result.err;
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kLinks + 1));
  for (int i = 0; i < kLinks; ++i) {
    ASSERT_EQ(lines[i + 1],
              "customer,stripe,cus_" + std::to_string(100000 + i) + ",c-" + std::to_string(i));
  }
}

TEST_F(CrosswalkCommandTest, ImportTakesEntityAndSystemFromOptions) {
  const std::string input = dir_.write("links.csv",
                                       "external_id,canonical_id\n"
                                       "cus_1,c-1\n"
                                       "cus_2,\n");
  auto result = crosswalk({"import", input, "--entity", "customer", "--system", "stripe"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(stored(),
            (std::vector<std::string>{
                "customer/stripe/cus_1=c-1",
                "customer/stripe/cus_2=" + Crosswalk::stable_id("customer", "stripe", "cus_2")}));

  // With the column and the option both there, the rows must agree with the option.
  const std::string mixed = dir_.write("mixed.csv",
                                       "entity,external_id,canonical_id\n"
                                       "customer,cus_3,c-3\n"
                                       "account,cus_4,c-4\n");
  result = crosswalk({"import", mixed, "--entity", "customer", "--system", "stripe"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft crosswalk import: " + mixed +
                            ":3: entity 'account' differs from --entity customer; nothing was "
                            "imported\n");
  EXPECT_EQ(stored().size(), 2u);
}

TEST_F(CrosswalkCommandTest, RowsWithoutACanonicalIdKeepAnExistingLink) {
  ASSERT_EQ(crosswalk({"put", "--entity", "customer", "--system", "stripe", "--id", "cus_1",
                       "--canonical", "c-old"})
                .code,
            0);
  const std::string input = dir_.write("links.csv", std::string(kHeader) +
                                                        "customer,stripe,cus_1,\n"
                                                        "customer,stripe,cus_2,\n");
  const auto result = crosswalk({"import", input});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "imported 1 link from " + input +
                            "; 1 row without a canonical_id kept the existing link\n");
  EXPECT_EQ(stored(),
            (std::vector<std::string>{
                "customer/stripe/cus_1=c-old",
                "customer/stripe/cus_2=" + Crosswalk::stable_id("customer", "stripe", "cus_2")}));
}

TEST_F(CrosswalkCommandTest, ABadRowNamesFileAndLineAndNothingIsImported) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string(kHeader) + "customer,stripe,cus_1,c-1\n\ncustomer,stripe,cus_2\n",
       ":4: 3 fields, but the header has 4"},
      {std::string(kHeader) + "customer,stripe,cus_1,c-1\ncustomer,stripe,\"cus_2,c-2\n",
       ":3: a quoted field is not closed"},
      {std::string(kHeader) + "customer,stripe,\"cus_1\"x,c-1\n",
       ":2: unexpected text after a closing quote (a quote inside a quoted field is written as "
       "two quotes)"},
      {std::string(kHeader) + "customer,stripe,cus\"1,c-1\n",
       ":2: a quote inside an unquoted field (quote the whole field and write the quote as two "
       "quotes)"},
      {std::string(kHeader) + "customer,stripe,,c-1\n", ":2: the external_id is empty"},
      {std::string(kHeader) + "customer,stripe,\"multi\nline\",c-1\ncustomer,stripe,cus_1,\n"
                              "customer,stripe,cus_1,c-2\n",
       ":5: customer/stripe id 'cus_1' is already on line 4"},
      {std::string(kHeader) + "customer,stripe,cus_1,c-1\ncustomer,stripe,cus_2,c-1\n",
       ":3: canonical id 'c-1' already has a stripe id on line 2"},
      {"entity,system,external,canonical_id\n",
       ":1: unknown column 'external' in the header (expected entity, system, external_id, "
       "canonical_id)"},
      {"system,external_id\ncustomer,stripe\n",
       ":1: the header has no entity column (add one, or give --entity)"},
      {"", ":1: the file is empty (it needs a header row)"},
  };
  for (const auto& [csv, problem] : cases) {
    const std::string input = dir_.write("bad.csv", csv);
    const auto result = crosswalk({"import", input});
    EXPECT_EQ(result.code, 1) << problem;
    EXPECT_EQ(result.err, "weft crosswalk import: " + input + problem + "; nothing was imported\n");
    EXPECT_EQ(result.out, "");
  }
  // Validation comes first: the state file was not even created.
  EXPECT_FALSE(std::filesystem::exists(state_path_));
}

TEST_F(CrosswalkCommandTest, AMissingFileIsAnError) {
  const std::string missing = dir_.file("nowhere/links.csv");
  auto result = crosswalk({"import", missing});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err,
            "weft crosswalk import: cannot read " + missing + ": No such file or directory\n");
  EXPECT_EQ(result.out, "");
  result = crosswalk({"import", dir_.path().string()});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err,
            "weft crosswalk import: cannot read " + dir_.path().string() + ": it is a directory\n");
  EXPECT_FALSE(std::filesystem::exists(state_path_));
}

TEST_F(CrosswalkCommandTest, GetFindsBothWaysAndSaysWhenNotFound) {
  auto result = crosswalk({"put", "--entity", "customer", "--system", "stripe", "--id", "cus_123",
                           "--canonical", "c-1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "linked customer/stripe id 'cus_123' to c-1\n");

  result = crosswalk({"get", "--entity", "customer", "--system", "stripe", "--id", "cus_123"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "c-1\n");
  EXPECT_EQ(result.err, "");
  result = crosswalk({"get", "--entity", "customer", "--system", "stripe", "--canonical", "c-1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "cus_123\n");

  result = crosswalk({"get", "--entity", "customer", "--system", "stripe", "--id", "cus_999"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "weft crosswalk get: not found: no canonical id for customer/stripe id 'cus_999'\n");
  result =
      crosswalk({"get", "--entity", "customer", "--system", "salesforce", "--canonical", "c-1"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft crosswalk get: not found: no salesforce id for customer 'c-1'\n");
}

TEST_F(CrosswalkCommandTest, PutReplacesBothDirections) {
  const auto put = [&](const std::string& id, const std::string& canonical) {
    const auto result = crosswalk({"put", "--entity", "customer", "--system", "salesforce", "--id",
                                   id, "--canonical", canonical});
    EXPECT_EQ(result.code, 0) << result.err;
  };
  put("001a", "c-1");
  put("001a", "c-2");  // 001a is now c-2
  put("001b", "c-2");  // c-2's salesforce id is now 001b
  put("001c", "c-3");
  EXPECT_EQ(stored(), (std::vector<std::string>{"customer/salesforce/001b=c-2",
                                                "customer/salesforce/001c=c-3"}));
  EXPECT_EQ(
      crosswalk({"get", "--entity", "customer", "--system", "salesforce", "--canonical", "c-1"})
          .code,
      1);
}

TEST_F(CrosswalkCommandTest, ReadsWithoutAStateFileFailAndCreateNothing) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"get", "--entity", "customer", "--system", "stripe", "--id",
                                 "cus_1"},
        std::vector<std::string>{"export"}}) {
    const auto result = crosswalk(args);
    EXPECT_EQ(result.code, 1) << args[0];
    EXPECT_EQ(result.err, "weft crosswalk " + args[0] + ": the state file " + state_path_ +
                              " does not exist\n");
  }
  EXPECT_FALSE(std::filesystem::exists(state_path_));
}

TEST_F(CrosswalkCommandTest, TheDaemonConfigNamesTheStateFile) {
  const std::string config = dir_.write("config/weft.yaml",
                                        "state:\n  path: ../state/weft.db\n"
                                        "pipelines:\n  dir: ../pipelines\n");
  std::filesystem::create_directories(dir_.path() / "pipelines");
  auto result = run_cli({"crosswalk", "put", "--config", config, "--entity", "customer", "--system",
                         "stripe", "--id", "cus_1", "--canonical", "c-1"},
                        dir_);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(stored(dir_.file("state/weft.db")),
            (std::vector<std::string>{"customer/stripe/cus_1=c-1"}));
  result = run_cli({"crosswalk", "get", "--config", config, "--entity", "customer", "--system",
                    "stripe", "--id", "cus_1"},
                   dir_);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "c-1\n");

  result = run_cli({"crosswalk", "export", "--config", dir_.write("config/bad.yaml", "state: 7\n")},
                   dir_);
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("bad.yaml"), std::string::npos) << result.err;
}

TEST_F(CrosswalkCommandTest, UsageErrorsExit2WithAHint) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"get", "--system", "stripe", "--id", "x"}, "weft crosswalk get: --entity is required"},
      {{"get", "--entity", "customer", "--system", "stripe"},
       "weft crosswalk get: give --id (the canonical id of an external id) or --canonical (the "
       "system's id of a canonical id)"},
      {{"get", "--entity", "customer", "--system", "stripe", "--id", "x", "--canonical", "y"},
       "weft crosswalk get: give --id"},
      {{"put", "--entity", "customer", "--system", "stripe", "--id", "x"},
       "weft crosswalk put: --id and --canonical are both required"},
      {{"put", "--entity", "", "--system", "stripe", "--id", "x", "--canonical", "y"},
       "weft crosswalk put: --entity needs a non-empty value"},
      {{"import"}, "weft crosswalk import: say which file: weft crosswalk import FILE.csv"},
      {{"import", "a.csv", "b.csv"}, "weft crosswalk import: unexpected argument 'b.csv'"},
      {{"export", "--id", "x"}, "weft crosswalk export: unknown option '--id'"},
      {{"export", "--output"}, "weft crosswalk export: --output needs a value"},
      {{"export", "--config", "weft.yaml"}, "weft crosswalk export: give --config or --state"},
      {{"frobnicate"}, "weft crosswalk: unknown command 'frobnicate'"},
  };
  for (const auto& [args, message] : cases) {
    const auto result = crosswalk(args);
    EXPECT_EQ(result.code, 2) << args[0] << ": " << result.err;
    EXPECT_TRUE(result.err.starts_with(message)) << result.err;
    EXPECT_NE(result.err.find("Run 'weft crosswalk --help' for the full help."), std::string::npos)
        << result.err;
    EXPECT_EQ(result.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(state_path_));

  auto result = run_cli({"crosswalk"}, dir_);
  EXPECT_EQ(result.code, 2);
  EXPECT_TRUE(result.err.starts_with("Usage: weft crosswalk get ")) << result.err;
  result = run_cli({"crosswalk", "--help"}, dir_);
  EXPECT_EQ(result.code, 0);
  EXPECT_TRUE(result.out.starts_with("NAME\n    weft crosswalk - ")) << result.out;
  for (const std::string command : {"get", "put", "import", "export"}) {
    const auto page = run_cli({"crosswalk", command, "--help"}, dir_);
    EXPECT_EQ(page.code, 0) << command;
    EXPECT_EQ(page.out, result.out) << command;
    EXPECT_NE(page.out.find("\n    weft crosswalk " + command + " "), std::string::npos);
  }
  result = run_cli({"--help"}, dir_);
  EXPECT_NE(result.out.find("\n    crosswalk "), std::string::npos) << result.out;
}

}  // namespace
}  // namespace weft::test

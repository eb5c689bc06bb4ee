// `weft map`: a mapping developed on sample records, without running the pipeline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "mapper/crosswalk.h"
#include "state/state_store.h"

namespace weft {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::lines_of;
using test::run_cli;

const std::string kGolden = WEFT_GOLDEN_DIR;

TEST(MapCommand, PrintsMappedRecordsAndReportsFilteredAndFailedLinesOnStderr) {
  test::TempDir dir;
  auto r = run_cli({"map", "--pipeline", kGolden + "/pipelines/stripe.yaml", "--input",
                    kGolden + "/input/stripe.jsonl"},
                   dir);
  EXPECT_EQ(r.code, 1) << "some records failed";
  const auto expected = lines_of(test::slurp(kGolden + "/expected/stripe.jsonl"));
  EXPECT_THAT(lines_of(r.out), ElementsAre(expected[0], expected[1], expected[5], expected[6]));
  const std::string input = kGolden + "/input/stripe.jsonl";
  EXPECT_THAT(lines_of(r.err),
              ElementsAre(input + ":3: filtered",
                          input + ":4: field 'email' [pattern]: (value hidden: pii) does "
                                  "not match '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'",
                          input + ":5: field 'created_at' [type timestamp]: 'soon' is not a "
                                  "valid timestamp (from $.data.object.created)",
                          "weft map: 4 mapped, 1 filtered, 2 failed"));
}

TEST(MapCommand, EnvelopeLinesCarryOpAndHeaders) {
  test::TempDir dir;
  auto r = run_cli({"map", "--envelope", "--pipeline", kGolden + "/pipelines/postgres.yaml",
                    "--input", kGolden + "/input/postgres.jsonl"},
                   dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines_of(r.out).size(), 2u);
  EXPECT_THAT(r.err, HasSubstr("postgres.jsonl:3: filtered"));
}

TEST(MapCommand, EnvelopesCarryEveryMetadataField) {
  test::TempDir dir;
  const std::string path = dir.write(
      "meta.yaml", "name: meta\nsource: {type: generate}\nsink: {type: file, path: out.jsonl}\n"
                   "map:\n  at: \"@event_time\"\n  pos: \"@position\"\n  table: \"@headers.table\"\n"
                   "  op: \"@op\"\n  old: \"@before.email\"\n");
  dir.write("in.jsonl", R"({"value": {}, "op": "update", "position": "0/16B3748", )"
                        R"("event_time": 1700000000, "headers": {"table": "customers"}, )"
                        R"("before": {"email": "a@b.c"}})"
                        "\n");
  auto r = run_cli({"map", "--envelope", "--pipeline", path, "--input", dir.file("in.jsonl")}, dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json({{"at", "2023-11-14T22:13:20Z"}, {"pos", "0/16B3748"},
                            {"table", "customers"}, {"op", "update"}, {"old", "a@b.c"}}));
}

TEST(MapCommand, CrosswalkLookupsReadTheStateFileButNeverWriteIt) {
  test::TempDir dir;
  const std::string state = dir.file("weft.db");
  {
    auto store = open_sqlite_state_store(state);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->crosswalk_put({{"customer", "stripe", "cus_P5qXyZ1a2b3c", "c-42"}}).ok());
  }
  const auto first_line = lines_of(test::slurp(kGolden + "/input/stripe.jsonl"))[0];
  dir.write("one.jsonl", first_line + "\n");
  auto r = run_cli({"map", "--state", state, "--pipeline", kGolden + "/pipelines/stripe.yaml",
                    "--input", dir.file("one.jsonl")},
                   dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"id\":\"c-42\"")) << "the linked canonical id is used";

  // An unlinked id shows the id `create` would mint, and the state file stays as it was.
  auto other = nlohmann::json::parse(first_line);
  other["data"]["object"]["id"] = "cus_NEW";
  dir.write("other.jsonl", other.dump() + "\n");
  r = run_cli({"map", "--state", state, "--pipeline", kGolden + "/pipelines/stripe.yaml",
               "--input", dir.file("other.jsonl")},
              dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(Crosswalk::stable_id("customer", "stripe", "cus_NEW")));
  auto store = open_sqlite_state_store(state);
  ASSERT_TRUE(store.ok());
  auto links = (*store)->crosswalk_list(CrosswalkFilter{});
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(links->size(), 1u) << "weft map never writes crosswalk links";
}

TEST(MapCommand, AnInvalidMappingExits2WithTheFileLineAndColumn) {
  test::TempDir dir;
  const std::string path = dir.write(
      "bad.yaml", "name: bad\nsource: {type: generate}\nsink: {type: file, path: out.jsonl}\n"
                  "map:\n  email: {from: $.email, fn: [lowr]}\n");
  auto r = run_cli({"map", "--pipeline", path, "--input", path}, dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":5:"));
  EXPECT_THAT(r.err, HasSubstr("unknown function 'lowr' (did you mean 'lower'?)"));
}

}  // namespace
}  // namespace weft

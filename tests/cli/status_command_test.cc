// `weft status` and `weft top` (without a terminal) as an operator runs them: the real binary
// against a fake admin API, checking what it prints, its exit code and what it sent. Also the
// token sources and the argument errors every admin-API verb shares.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/admin_fixture.h"

namespace weft::test {
namespace {

using nlohmann::json;

const std::vector<std::string> kTable = {
    "NAME    STATE    IN/S  OUT/S  DLQ  BREAKER  FRESHNESS          LAST ERROR",
    "legacy  running     -      -    -  closed   -                  -",
    "orders  running  12.5   1.2k    3  closed   12s / 15m          -",
    "users   failed      0      0    0  open     2h / 15m BREACHED  sink postgres: connection "
    "refused",
};

using StatusCommandTest = AdminVerbTest;

TEST_F(StatusCommandTest, PrintsOneAlignedLinePerPipelineSortedByName) {
  serve_pipelines(sample_pipelines());
  const auto result = weft({"status"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(lines_of(result.out), kTable) << result.out;
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/api/pipelines");
  EXPECT_EQ(requests[0].authorization, "");  // no token configured: none sent
}

TEST_F(StatusCommandTest, JsonPrintsTheDaemonsArray) {
  serve_pipelines(sample_pipelines());
  const auto result = weft({"status", "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(lines_of(result.out).size(), 1u);
  EXPECT_EQ(json::parse(result.out), sample_pipelines());
}

TEST_F(StatusCommandTest, SaysSoWhenThereAreNoPipelines) {
  serve_pipelines(json::array());
  const auto result = weft({"status"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "no pipelines (the daemon at " + url("") + " runs none)\n");
}

TEST_F(StatusCommandTest, NoDaemonListeningExits1NamingTheUrl) {
  write_config(unused_port());
  for (const char* verb : {"status", "top"}) {
    const auto result = weft({verb});
    EXPECT_EQ(result.code, 1) << verb;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err, "weft " + std::string(verb) + ": " + url("/api/pipelines") +
                              ": no daemon is listening (is weft running?)\n");
  }
}

TEST_F(StatusCommandTest, TheTokenComesFromTheFileThenTheEnvironmentThenTheConfig) {
  serve_pipelines(json::array(), "from-config");
  const std::string file = dir_.write("secrets/admin-token", "from-file\n\n");
  const std::string env = "WEFT_ADMIN_TOKEN=from-env";
  ASSERT_EQ(weft({"status", "--token-file", file}, {env}).code, 0);
  ASSERT_EQ(weft({"status"}, {env}).code, 0);
  ASSERT_EQ(weft({"status"}).code, 0);
  ASSERT_EQ(weft({"status", "--token-file=" + file}).code, 0);
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].authorization, "Bearer from-file");
  EXPECT_EQ(requests[1].authorization, "Bearer from-env");
  EXPECT_EQ(requests[2].authorization, "Bearer from-config");
  EXPECT_EQ(requests[3].authorization, "Bearer from-file");
}

TEST_F(StatusCommandTest, DlqAndTriggerTakeTheTokenTheSameWay) {
  serve(
      [](const SeenRequest& request, const FakeAdminServer::Send& send) {
        if (request.target.starts_with("/api/dlq")) {
          send(http_response(200, R"({"entries": [], "next_after_id": null})"));
        } else {
          send(http_response(202, R"({"pipeline": "items", "triggered": true})"));
        }
      },
      "from-config");
  const std::string file = dir_.write("secrets/admin-token", "from-file");
  auto result = weft({"dlq", "list", "--token-file", file});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "no dead letters\n");
  result = weft({"trigger", "items"}, {"WEFT_ADMIN_TOKEN=from-env"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "pipeline items: run started\n");
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].authorization, "Bearer from-file");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/api/pipelines/items/trigger");
  EXPECT_EQ(requests[1].authorization, "Bearer from-env");
}

TEST_F(StatusCommandTest, ARefusedTokenSaysWhereItCameFrom) {
  serve(
      [](const SeenRequest&, const FakeAdminServer::Send& send) {
        send(http_response(401, R"({"error": "invalid bearer token"})"));
      },
      "s3cr3t");
  const std::string file = dir_.write("secrets/admin-token", "wrong-one");
  auto result = weft({"status", "--token-file", file});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft status: " + url("/api/pipelines") +
                            ": HTTP 401: invalid bearer token (check --token-file " + file + ")\n");
  result = weft({"top"}, {"WEFT_ADMIN_TOKEN=wrong-too"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft top: " + url("/api/pipelines") +
                            ": HTTP 401: invalid bearer token (check $WEFT_ADMIN_TOKEN)\n");
  result = weft({"status"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft status: " + url("/api/pipelines") +
                            ": HTTP 401: invalid bearer token (check admin.token in " + config_ +
                            ")\n");
  EXPECT_EQ(result.err.find("s3cr3t"), std::string::npos);
}

// The daemon's config may name a secret only the daemon's service can resolve.
TEST_F(StatusCommandTest, ATokenFromTheFileOrEnvironmentNeedsNoTokenFromTheConfig) {
  serve_pipelines(json::array());
  std::ofstream(config_) << "state:\n  path: ../data/weft.db\n"
                         << "admin:\n  listen: 127.0.0.1:" << port_ << "\n"
                         << "  token: ${WEFT_DAEMON_ONLY_SECRET}\n"
                         << "pipelines:\n  dir: ../pipelines\n";
  const std::string file = dir_.write("secrets/admin-token", "from-file");
  auto result = weft({"status", "--token-file", file});
  ASSERT_EQ(result.code, 0) << result.err;
  result = weft({"status"}, {"WEFT_ADMIN_TOKEN=from-env"});
  ASSERT_EQ(result.code, 0) << result.err;
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].authorization, "Bearer from-file");
  EXPECT_EQ(requests[1].authorization, "Bearer from-env");

  result = weft({"status"});  // the token must come from the config: that it cannot is an error
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("WEFT_DAEMON_ONLY_SECRET"), std::string::npos) << result.err;
}

TEST_F(StatusCommandTest, AnUnreadableTokenFileExits2NamingIt) {
  serve_pipelines(json::array());
  const std::string missing = dir_.file("secrets/missing");
  const std::string empty = dir_.write("secrets/empty", " \n");
  const std::vector<std::vector<std::string>> commands = {
      {"status"},           {"top"},           {"pause", "orders"},
      {"resume", "orders"}, {"tap", "orders"}, {"trigger", "orders"},
      {"dlq", "list"}};
  for (auto args : commands) {
    const std::string verb = args[0];
    args.push_back("--token-file");
    args.push_back(missing);
    const auto result = weft(args);
    EXPECT_EQ(result.code, 2) << verb;
    EXPECT_EQ(result.err, "weft " + verb + ": cannot read --token-file " + missing +
                              ": No such file or directory\n");
    EXPECT_EQ(result.out, "");
  }
  const auto result = weft({"status", "--token-file", empty});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, "weft status: cannot read --token-file " + empty + ": it is empty\n");
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(StatusCommandTest, TopWithoutATerminalPrintsOnePlainTableAndExits) {
  serve_pipelines(sample_pipelines());
  const auto result = weft({"top"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos) << result.out;
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 5u) << result.out;
  EXPECT_TRUE(lines[0].starts_with("weft top  20")) << lines[0];  // then the local time
  EXPECT_TRUE(lines[0].ends_with("  " + url("") + "  3 pipelines  sorted by name")) << lines[0];
  EXPECT_EQ(std::vector<std::string>(lines.begin() + 1, lines.end()), kTable);
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(StatusCommandTest, TopIterationsPrintTablesSeparatedByABlankLine) {
  serve_pipelines(sample_pipelines());
  const auto result = weft({"top", "--iterations", "2", "--interval", "0.1", "--sort", "errors"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos);
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 11u) << result.out;
  EXPECT_EQ(lines[5], "");
  for (std::size_t first : {0u, 6u}) {
    EXPECT_TRUE(lines[first].ends_with("sorted by errors")) << lines[first];
    // orders has 4 errors (1 dead-lettered, 3 in the DLQ); then users' open breaker.
    EXPECT_TRUE(lines[first + 2].starts_with("orders ")) << lines[first + 2];
    EXPECT_TRUE(lines[first + 3].starts_with("users ")) << lines[first + 3];
    EXPECT_TRUE(lines[first + 4].starts_with("legacy ")) << lines[first + 4];
  }
  EXPECT_EQ(server_->requests().size(), 2u);
}

TEST_F(StatusCommandTest, ArgumentErrorsExit2WithAHint) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"top", "--sort", "speed"}, "weft top: --sort must be name, rate or errors, got 'speed'"},
      {{"top", "--interval", "0"},
       "weft top: --interval must be a number of seconds, at least 0.1, got '0'"},
      {{"top", "--iterations", "many"},
       "weft top: --iterations must be a positive integer, got 'many'"},
      {{"top", "--sort"}, "weft top: --sort needs a value"},
      {{"status", "orders"}, "weft status: unexpected argument 'orders'"},
      {{"status", "--token-file"}, "weft status: --token-file needs a value"},
      {{"pause"}, "weft pause: name one pipeline: weft pause PIPELINE"},
      {{"resume", "a", "b"}, "weft resume: name one pipeline: weft resume PIPELINE"},
      {{"pause", "--force", "orders"}, "weft pause: unexpected argument '--force'"},
      {{"tap"}, "weft tap: name one pipeline: weft tap PIPELINE"},
      {{"tap", "orders", "--stage", "middle"},
       "weft tap: --stage must be source, mapped or sink, got 'middle'"},
      {{"tap", "orders", "--limit", "0"}, "weft tap: --limit must be a positive integer, got '0'"},
      {{"trigger"}, "weft trigger: name one pipeline: weft trigger PIPELINE"},
  };
  for (const auto& [args, message] : cases) {
    const auto result = run_cli(args, dir_);
    EXPECT_EQ(result.code, 2) << args[0];
    const std::string verb = args[0];
    EXPECT_TRUE(result.err.starts_with(message + "\nUsage: weft " + verb + " ")) << result.err;
    EXPECT_TRUE(result.err.ends_with("\nRun 'weft " + verb + " --help' for the full help.\n"))
        << result.err;
    EXPECT_EQ(result.out, "");
  }
}

TEST_F(StatusCommandTest, EveryVerbHasAHelpPage) {
  for (const char* verb : {"status", "top", "pause", "resume", "tap", "trigger"}) {
    const auto result = run_cli({verb, "--help"}, dir_);
    EXPECT_EQ(result.code, 0) << verb;
    EXPECT_TRUE(result.out.starts_with("NAME\n    weft " + std::string(verb) + " - "))
        << result.out;
    for (const char* section :
         {"\nOPTIONS\n", "\n    --token-file FILE\n", "\nEXAMPLES\n", "\nEXIT STATUS\n    0   "}) {
      EXPECT_NE(result.out.find(section), std::string::npos) << verb << " lacks " << section;
    }
    for (const auto& line : lines_of(result.out)) EXPECT_LE(line.size(), 100u) << line;
  }
  const auto result = run_cli({"--help"}, dir_);
  for (const char* verb : {"status", "top", "pause", "resume", "tap"}) {
    EXPECT_NE(result.out.find("\n    " + std::string(verb) + " "), std::string::npos) << verb;
  }
}

}  // namespace
}  // namespace weft::test

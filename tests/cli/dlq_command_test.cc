// `weft dlq` as an operator runs it: the real binary, on a state file (no daemon running) and
// against a running daemon, checking what it prints, its exit code and the store afterwards.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/dead_letter_fixtures.h"
#include "cli/cli_runner.h"
#include "e2e/weft_process.h"
#include "state/state_store.h"
#include "support/temp_dir.h"
#include "weft/payload.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class DlqCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "pipelines");
    write_config(config_path_, "");
  }

  void write_config(const std::string& path, const std::string& token,
                    const std::string& host = "127.0.0.1") {
    std::ofstream(path) << "state:\n  path: ../data/weft.db\n"
                        << "admin:\n  listen: " << host << ":" << port_ << "\n"
                        << (token.empty() ? "" : "  token: " + token + "\n")
                        << "log:\n  level: info\n"
                        << "pipelines:\n  dir: ../pipelines\n"
                        << "shutdown:\n  deadline: 5s\n";
  }

  // orders: two entries, failed 3 h and 10 min ago (the second with a long error); users: one.
  void seed() {
    auto store = open_store();
    const auto now = Clock::now();
    letters_ = {
        make_dead_letter("orders", "HTTP 422: field 'email' is not valid", now - 3h),
        make_dead_letter("orders", "HTTP 400: " + std::string(300, 'x') + " END-OF-ERROR",
                         now - 10min),
        make_dead_letter("users", "permission denied for table users", now - 5min)};
    ASSERT_TRUE(store->add_dead_letters(letters_).ok());
  }

  std::unique_ptr<StateStore> open_store() {
    auto store = open_sqlite_state_store(state_path_);
    EXPECT_TRUE(store.ok()) << store.error().message();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::vector<DeadLetter> stored(bool marked_only = false) {
    auto store = open_store();
    DeadLetterFilter filter;
    filter.replay_requested_only = marked_only;
    auto entries = store->list_dead_letters(filter);
    EXPECT_TRUE(entries.ok());
    return entries.ok() ? *entries : std::vector<DeadLetter>{};
  }

  CliResult dlq(std::vector<std::string> args, const std::string& config = "") {
    args.insert(args.begin(), "dlq");
    args.push_back("--config");
    args.push_back(config.empty() ? config_path_ : config);
    return run_cli(args, dir_);
  }

  std::string id(std::size_t index) const { return std::to_string(letters_[index].id); }
  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }
  std::string offline_note() const {
    return "weft dlq: no daemon is listening at " + url("") + "; using the state file " +
           state_path_ + " directly\n";
  }

  TempDir dir_;
  unsigned short port_ = unused_port();
  std::string config_path_ = dir_.write("config/weft.yaml", "{}");
  std::string state_path_ = (dir_.path() / "config" / ".." / "data" / "weft.db").lexically_normal();
  std::vector<DeadLetter> letters_;
};

// ---- on the state file, no daemon running ----

TEST_F(DlqCommandTest, ListPrintsAnAlignedTableThatFits120Columns) {
  seed();
  const auto result = dlq({"list"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, offline_note());
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 5u) << result.out;
  EXPECT_TRUE(lines[0].starts_with("ID  PIPELINE  STAGE  ERROR KIND  ATTEMPTS  LAST FAILURE"))
      << lines[0];
  const auto error_column = lines[0].find("ERROR", lines[0].find("LAST FAILURE"));
  for (std::size_t i = 1; i <= 3; ++i) {
    EXPECT_TRUE(lines[i].starts_with(id(i - 1) + " ")) << lines[i];
    EXPECT_LE(lines[i].size(), 120u) << lines[i];
    EXPECT_EQ(lines[i].find("sink"), lines[0].find("STAGE")) << lines[i];
  }
  EXPECT_EQ(lines[1].substr(error_column), "HTTP 422: field 'email' is not valid");
  EXPECT_NE(lines[2].find("  orders  "), std::string::npos);
  EXPECT_TRUE(lines[2].ends_with("xxx...")) << lines[2];  // the long error is cut to fit
  EXPECT_EQ(lines[2].find("END-OF-ERROR"), std::string::npos);
  EXPECT_NE(lines[3].find("permission denied for table users"), std::string::npos);
  EXPECT_EQ(lines[4], "3 dead letters");
}

TEST_F(DlqCommandTest, ListFiltersAndPrintsJson) {
  seed();
  auto result = dlq({"list", "--pipeline", "orders", "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  json listed = json::parse(result.out);
  ASSERT_EQ(listed["entries"].size(), 2u);
  EXPECT_EQ(listed["entries"][0]["id"], letters_[0].id);
  EXPECT_EQ(listed["entries"][1]["error"], letters_[1].error);
  EXPECT_FALSE(listed["entries"][0].contains("record"));
  EXPECT_TRUE(listed["next_after_id"].is_null());

  result = dlq({"list", "--since", "1h", "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  listed = json::parse(result.out);
  ASSERT_EQ(listed["entries"].size(), 2u);
  EXPECT_EQ(listed["entries"][0]["id"], letters_[1].id);

  result = dlq({"list", "--limit", "1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(
      result.out.ends_with("\n1 dead letter shown; more match (raise --limit to see them)\n"))
      << result.out;

  result = dlq({"list", "--pipeline", "nobody"});
  EXPECT_EQ(result.out, "no dead letters in pipeline nobody\n");
}

TEST_F(DlqCommandTest, ShowPrintsTheEntryWithItsRecord) {
  seed();
  auto result = dlq({"show", id(0)});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_GT(lines_of(result.out).size(), 10u) << "not indented: " << result.out;
  const json shown = json::parse(result.out);
  EXPECT_EQ(shown["id"], letters_[0].id);
  EXPECT_EQ(shown["error"], letters_[0].error);
  EXPECT_EQ(shown["record"]["key"], letters_[0].record.key);
  EXPECT_EQ(shown["record"]["value"], letters_[0].record.value.json());

  result = dlq({"show", id(0), "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(lines_of(result.out).size(), 1u);
  EXPECT_EQ(json::parse(result.out), shown);

  result = dlq({"show", "999"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, offline_note() + "weft dlq: state file " + state_path_ +
                            ": dead letter 999 not found\n");
}

TEST_F(DlqCommandTest, ReplayMarksEntriesForTheNextStart) {
  seed();
  auto result = dlq({"replay", "--all", "--dry-run"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "would replay 3 dead letters in all pipelines (dry run)\n");
  EXPECT_TRUE(stored(true).empty());

  result = dlq({"replay", "--pipeline", "orders"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "marked 2 dead letters in pipeline orders for replay; weft is not running: the "
            "pipeline replays them when the daemon next starts\n");
  const auto marked = stored(true);
  ASSERT_EQ(marked.size(), 2u);
  EXPECT_EQ(marked[0].id, letters_[0].id);
  EXPECT_EQ(marked[1].id, letters_[1].id);

  result = dlq({"replay", "--id", "999"});
  EXPECT_EQ(result.code, 1);
  EXPECT_TRUE(result.err.ends_with("dead letter 999 not found\n")) << result.err;

  result = dlq({"replay", "--id", id(2), "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(json::parse(result.out), json({{"matched", 1}, {"marked", 1}}));

  result = dlq({"replay", "--id", id(2), "--pipeline", "orders"});  // it is in users
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "dead letter " + id(2) + " is not in pipeline orders\n");
}

TEST_F(DlqCommandTest, PurgeDeletesWhatItSelects) {
  seed();
  auto result = dlq({"purge", "--id", id(2)});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "purged dead letter " + id(2) + "\n");
  ASSERT_EQ(stored().size(), 2u);

  result = dlq({"purge", "--pipeline", "orders", "--before", "1h"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(
      result.out.starts_with("purged 1 dead letter in pipeline orders that last failed before "))
      << result.out;
  auto left = stored();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, letters_[1].id);

  result = dlq({"purge", "--all", "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(json::parse(result.out), json({{"purged", 1}}));
  EXPECT_TRUE(stored().empty());
}

TEST_F(DlqCommandTest, NoDaemonAndNoStateFileIsAnErrorThatCreatesNothing) {
  const auto result = dlq({"list"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft dlq: no daemon is listening at " + url("") + ", and the state file " +
                            state_path_ + " does not exist\n");
  EXPECT_FALSE(std::filesystem::exists(state_path_));
}

TEST_F(DlqCommandTest, UsageErrorsExit2WithAHint) {
  seed();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"replay"},
       "weft dlq replay: say which dead letters to replay: --id ID, --pipeline NAME, or --all "
       "for every pipeline\n"},
      {{"purge", "--before", "1h"}, "weft dlq purge: say which dead letters to purge"},
      {{"replay", "--all", "--pipeline", "orders"},
       "weft dlq replay: --all cannot be combined with --id or --pipeline"},
      {{"replay", "--id", "abc"}, "weft dlq replay: --id must be a positive integer, got 'abc'"},
      {{"list", "--since", "yesterday"},
       "weft dlq list: --since must be an RFC 3339 time (2026-11-27T10:00:00Z) or a duration ago "
       "(30m, 1h, 7d), got 'yesterday'"},
      {{"list", "--limit", "0"}, "weft dlq list: --limit must be a positive integer, got '0'"},
      {{"list", "--dry-run"}, "weft dlq list: unknown option '--dry-run'"},
      {{"show"}, "weft dlq show: say which entry: weft dlq show ID"},
      {{"show", "abc"}, "weft dlq show: ID must be a positive integer, got 'abc'"},
      {{"frobnicate"}, "weft dlq: unknown command 'frobnicate'"},
  };
  for (const auto& [args, message] : cases) {
    const auto result = dlq(args);
    EXPECT_EQ(result.code, 2) << args[0] << ": " << result.err;
    EXPECT_TRUE(result.err.starts_with(message)) << result.err;
    EXPECT_NE(result.err.find("Run 'weft dlq --help' for the full help."), std::string::npos);
    EXPECT_EQ(result.out, "");
  }
  EXPECT_TRUE(stored(true).empty());
  EXPECT_EQ(stored().size(), 3u);

  auto result = run_cli({"dlq"}, dir_);
  EXPECT_EQ(result.code, 2);
  EXPECT_TRUE(result.err.starts_with("Usage: weft dlq list ")) << result.err;
  result = run_cli({"dlq", "replay", "--help"}, dir_);
  EXPECT_EQ(result.code, 0);
  EXPECT_TRUE(result.out.starts_with("NAME\n    weft dlq - ")) << result.out;
  result = run_cli({"--help"}, dir_);
  EXPECT_NE(result.out.find("\n    dlq "), std::string::npos) << result.out;
}

TEST_F(DlqCommandTest, BadDaemonConfigExits2) {
  const auto result = dlq({"list"}, dir_.write("config/broken.yaml", "admin:\n  listen: 7\n"));
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("broken.yaml"), std::string::npos) << result.err;
}

// ---- against a running daemon ----

class DlqDaemonTest : public DlqCommandTest {
 protected:
  void start_daemon() {
    daemon_ = std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", config_path_}, dir_.file("daemon.log"));
    const auto port = daemon_->admin_port(30s);
    ASSERT_EQ(port, port_) << daemon_->output();
  }
  void TearDown() override {
    if (!daemon_) return;
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(20s), 0) << daemon_->output();
  }

  std::unique_ptr<WeftProcess> daemon_;
};

TEST_F(DlqDaemonTest, CommandsGoThroughTheAdminApi) {
  write_config(config_path_, "s3cr3t-token");
  seed();
  start_daemon();

  auto result = dlq({"list", "--json"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");  // no "no daemon is listening" note: the daemon answered
  EXPECT_EQ(json::parse(result.out)["entries"].size(), 3u);

  result = dlq({"replay", "--pipeline", "orders"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out,
            "marked 2 dead letters in pipeline orders for replay; a running pipeline re-delivers "
            "them within seconds, one that is not running when it next starts\n");
  auto marked = stored(true);
  ASSERT_EQ(marked.size(), 2u);
  EXPECT_EQ(marked[0].pipeline, "orders");
  EXPECT_EQ(marked[1].pipeline, "orders");

  result = dlq({"show", "999"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft dlq: " + url("/api/dlq/999") + ": dead letter 999 not found\n");

  result = dlq({"purge", "--pipeline", "orders"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "purged 2 dead letters in pipeline orders\n");
  auto left = stored();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].pipeline, "users");
}

// Also: a daemon listening on every interface is reached through loopback.
TEST_F(DlqDaemonTest, AWrongTokenFailsWithoutFallingBackToTheStateFile) {
  write_config(config_path_, "s3cr3t-token", "0.0.0.0");
  seed();
  start_daemon();
  const std::string other = dir_.file("config/other.yaml");
  write_config(other, "not-the-token", "0.0.0.0");

  const auto result = dlq({"replay", "--all"}, other);
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft dlq: " + url("/api/dlq/replay") +
                            ": invalid bearer token (check admin.token in " + other + ")\n");
  EXPECT_EQ(result.err.find("s3cr3t"), std::string::npos);
  EXPECT_TRUE(stored(true).empty());
}

}  // namespace
}  // namespace weft::test

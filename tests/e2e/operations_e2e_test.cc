// End-to-end operability: what an SRE does with a running daemon (freshness SLO on /readyz,
// weft status/top/tap/pause/resume, the admin token) with the real binaries.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_helpers.h"
#include "e2e/weft_process.h"
#include "support/http_client.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-ops-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "config");
    fs::create_directories(dir_ / "pipelines");
    write_daemon_config();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void write_daemon_config(const std::string& admin_extra = "") {
    std::ofstream(config_path())
        << "state: {path: ../data/weft.db}\nadmin:\n  listen: 127.0.0.1:0\n" << admin_extra
        << "log: {format: json}\n"
        << "pipelines: {dir: ../pipelines}\nshutdown: {deadline: 10s}\n";
  }
  std::string config_path() const { return (dir_ / "config" / "weft.yaml").string(); }

  // Pipeline `demo`: generated records into a file (or, with `fault`, into the fault sink).
  void write_pipeline(const std::string& extra, bool fault = false) {
    std::ofstream out(dir_ / "pipelines" / "demo.yaml");
    out << "name: demo\nsource: {type: generate, rate: 200}\n";
    if (fault) {
      out << "sink: {type: fault, path: " << (dir_ / "out.jsonl").string()
          << ", control: " << (dir_ / "control.json").string() << "}\n";
    } else {
      out << "sink: {type: file, path: " << (dir_ / "out.jsonl").string() << "}\n";
    }
    out << "checkpoint: {interval: 50ms}\n" << extra;
  }

  void control(const std::string& json) {
    std::ofstream(dir_ / "control.tmp") << json;
    fs::rename(dir_ / "control.tmp", dir_ / "control.json");
  }

  std::unique_ptr<WeftProcess> start(const std::string& log_name, bool fault = false) {
    auto p = std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", config_path()}, (dir_ / log_name).string(),
        fault ? fault_daemon_binary() : weft_binary());
    auto port = p->admin_port(30s);
    EXPECT_TRUE(port.has_value()) << p->output();
    port_ = port.value_or(0);
    return p;
  }

  HttpResponse get(const std::string& target) { return http_get("127.0.0.1", port_, target); }
  nlohmann::json demo() {
    auto r = get("/api/pipelines/demo");
    return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json::object();
  }
  // `weft <verb> ...` run to completion: {exit code, stdout and stderr}. The CLI finds the
  // daemon through admin.listen, so its config names the port the daemon took (and no token:
  // the tests give that through the environment or a file).
  std::pair<int, std::string> cli(std::vector<std::string> args, const std::string& log) {
    const std::string cli_config = (dir_ / "config" / "cli.yaml").string();
    std::ofstream(cli_config) << "state: {path: ../data/weft.db}\nadmin:\n  listen: 127.0.0.1:"
                              << port_ << "\npipelines: {dir: ../pipelines}\n";
    args.push_back("--config");
    args.push_back(cli_config);
    return run_weft(args, (dir_ / log).string());
  }

  fs::path dir_;
  unsigned short port_ = 0;
};

TEST_F(OperationsTest, FreshnessBreachAndRecoveryFlipReadyz) {
  write_pipeline("freshness: {max_age: 1s}\n", /*fault=*/true);
  auto weft = start("weft.log", true);
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 200; })) << get("/readyz").body;

  control(R"({"delay_ms": 4000})");  // a slow target: nothing fails, data just goes stale
  ASSERT_TRUE(eventually([&] {
    auto ready = get("/readyz");
    return ready.status == 503 &&
           ready.body.find("pipeline demo: freshness SLO breached: the newest delivered data "
                           "is ") != std::string::npos &&
           ready.body.find("(max_age 1s)") != std::string::npos;
  })) << get("/readyz").body;
  // The gauges follow at the pipeline's next checkpoint tick.
  EXPECT_TRUE(eventually([&] {
    auto metrics = get("/metrics").body;
    return sample(metrics, R"(weft_freshness_slo_breached{pipeline="demo"})") == 1 &&
           sample(metrics, R"(weft_freshness_seconds{pipeline="demo"})").value_or(0) > 1;
  })) << get("/metrics").body;
  EXPECT_EQ(demo()["freshness"]["max_age_seconds"], 1);

  control("{}");
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 200; })) << get("/readyz").body;
  EXPECT_FALSE(demo()["freshness"]["breached"].get<bool>());
  EXPECT_TRUE(eventually([&] {
    return sample(get("/metrics").body, R"(weft_freshness_slo_breached{pipeline="demo"})") == 0;
  }));

  weft->signal(SIGTERM);
  ASSERT_EQ(weft->wait(30s), 0);
  const std::string log = weft->output();
  EXPECT_NE(log.find(R"("event":"freshness.breached")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("event":"freshness.recovered")"), std::string::npos) << log;
}

TEST_F(OperationsTest, PauseHoldsThePositionSurvivesARestartAndResumeReadsAgain) {
  write_pipeline("");
  auto weft = start("weft.log");
  ASSERT_TRUE(eventually([&] { return demo().value("records", nlohmann::json())["out"] > 50; }));

  auto [paused_code, paused_out] = cli({"pause", "demo"}, "pause.log");
  ASSERT_EQ(paused_code, 0) << paused_out;
  EXPECT_NE(paused_out.find("pipeline demo paused"), std::string::npos) << paused_out;
  // Paused: what was read is delivered, and its checkpoint committed.
  ASSERT_TRUE(eventually([&] {
    auto d = demo();
    return d["state"] == "paused" && d["records"]["in_flight"] == 0 &&
           d["checkpoint"]["position"] == d["records"]["in"].dump();
  })) << demo().dump();
  auto held = demo();
  std::this_thread::sleep_for(500ms);  // ten checkpoint intervals
  auto later = demo();
  EXPECT_EQ(later["records"]["in"], held["records"]["in"]) << "nothing read while paused";
  EXPECT_EQ(later["checkpoint"]["position"], held["checkpoint"]["position"]);
  auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 200) << "a pause is not a failure: " << ready.body;
  EXPECT_NE(ready.body.find("pipeline demo: paused by an operator since"), std::string::npos)
      << ready.body;

  weft->signal(SIGTERM);
  ASSERT_EQ(weft->wait(30s), 0) << weft->output();
  EXPECT_EQ(weft->output().find("event=pipeline.paused"), std::string::npos);
  EXPECT_NE(weft->output().find(R"("event":"pipeline.paused")"), std::string::npos);

  weft = start("weft2.log");
  ASSERT_TRUE(eventually([&] { return demo()["state"] == "paused"; })) << demo().dump();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(demo()["records"]["in"], 0) << "still paused after the restart";
  EXPECT_EQ(demo()["checkpoint"]["position"], held["checkpoint"]["position"]);

  auto [resumed_code, resumed_out] = cli({"resume", "demo"}, "resume.log");
  ASSERT_EQ(resumed_code, 0) << resumed_out;
  ASSERT_TRUE(eventually([&] { return demo()["records"]["out"] > 20; })) << demo().dump();
  EXPECT_EQ(demo()["state"], "running");
}

TEST_F(OperationsTest, TapPrintsLiveRecordsWithPiiAndSecretsRedacted) {
  write_pipeline(
      "model:\n  name: person\n  fields:\n    id: {type: int}\n"
      "    email: {type: string, pii: true}\n    api_key: {type: string}\n"
      "map:\n  id: $.id\n  email: {from: $.message}\n  api_key: {value: sk_live_42}\n");
  auto weft = start("weft.log");
  ASSERT_TRUE(eventually([&] { return demo()["state"] == "running"; }));

  auto [code, out] = cli({"tap", "demo", "--stage", "mapped", "--limit", "3"}, "tap.log");
  ASSERT_EQ(code, 0) << out;
  std::istringstream lines(out);
  int records = 0;
  for (std::string line; std::getline(lines, line);) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("record")) continue;
    ++records;
    EXPECT_EQ(parsed["stage"], "mapped");
    EXPECT_EQ(parsed["record"]["value"]["email"], "***") << line;
    EXPECT_EQ(parsed["record"]["value"]["api_key"], "***") << line;
    EXPECT_TRUE(parsed["record"]["value"]["id"].is_number()) << line;
  }
  EXPECT_EQ(records, 3) << out;
  EXPECT_EQ(out.find("hello from weft"), std::string::npos) << "the pii value never shows";
  EXPECT_EQ(out.find("sk_live_42"), std::string::npos);

  auto [source_code, at_source] = cli({"tap", "demo", "--limit", "1"}, "tap-source.log");
  ASSERT_EQ(source_code, 0) << at_source;
  EXPECT_NE(at_source.find(R"("message":"***")"), std::string::npos)
      << "the source field mapped into a pii field: " << at_source;
}

TEST_F(OperationsTest, StatusAndTopShowEveryPipelineWithoutATerminal) {
  write_pipeline("freshness: {max_age: 15m}\n");
  auto weft = start("weft.log");
  ASSERT_TRUE(eventually([&] { return demo().value("records", nlohmann::json())["out"] > 0; }));

  auto [code, out] = cli({"status"}, "status.log");
  ASSERT_EQ(code, 0) << out;
  for (const char* column : {"NAME", "STATE", "IN/S", "OUT/S", "DLQ", "BREAKER", "FRESHNESS"}) {
    EXPECT_NE(out.find(column), std::string::npos) << column << "\n" << out;
  }
  EXPECT_NE(out.find("demo"), std::string::npos) << out;
  EXPECT_NE(out.find("running"), std::string::npos) << out;
  EXPECT_NE(out.find("15m"), std::string::npos) << "the SLO next to the age\n" << out;

  auto [json_code, json_out] = cli({"status", "--json"}, "status-json.log");
  ASSERT_EQ(json_code, 0) << json_out;
  auto parsed = nlohmann::json::parse(json_out, nullptr, false);
  ASSERT_TRUE(parsed.is_array()) << json_out;
  EXPECT_EQ(parsed[0]["name"], "demo");

  auto [top_code, top_out] = cli({"top", "--iterations", "2", "--interval", "1"}, "top.log");
  ASSERT_EQ(top_code, 0) << top_out;
  EXPECT_EQ(top_out.find('\x1b'), std::string::npos) << "no escape codes when not a terminal";
  EXPECT_NE(top_out.find("demo"), std::string::npos) << top_out;

  weft->signal(SIGTERM);
  ASSERT_EQ(weft->wait(30s), 0);
  auto [down_code, down_out] = cli({"status"}, "status-down.log");
  EXPECT_EQ(down_code, 1) << down_out;
  EXPECT_NE(down_out.find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << "names where it looked: " << down_out;
}

TEST_F(OperationsTest, WithATokenMutatingEndpointsAndTapRefuseAnonymousRequests) {
  write_daemon_config("  token: ${WEFT_ADMIN_TOKEN}\n");
  write_pipeline("");
  ::setenv("WEFT_ADMIN_TOKEN", "tok-e2e-5150", 1);
  auto weft = start("weft.log");
  ::unsetenv("WEFT_ADMIN_TOKEN");

  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_TRUE(eventually([&] { return get("/readyz").status == 200; }))
      << "probes answer without the token: " << get("/readyz").body;
  EXPECT_EQ(get("/api/pipelines/demo").status, 401);
  EXPECT_EQ(http_request("POST", "127.0.0.1", port_, "/api/pipelines/demo/pause").status, 401);
  EXPECT_EQ(get("/api/pipelines/demo/tap").status, 401);

  // The CLI takes the token from a file or the environment, never from its command line.
  std::ofstream(dir_ / "token") << "tok-e2e-5150\n";
  fs::permissions(dir_ / "token", fs::perms::owner_read | fs::perms::owner_write);
  auto [paused, paused_out] =
      cli({"pause", "demo", "--token-file", (dir_ / "token").string()}, "pause.log");
  EXPECT_EQ(paused, 0) << paused_out;
  EXPECT_EQ(paused_out.find("tok-e2e-5150"), std::string::npos);
  ::setenv("WEFT_ADMIN_TOKEN", "tok-e2e-5150", 1);
  auto [resumed, resumed_out] = cli({"resume", "demo"}, "resume.log");
  ::unsetenv("WEFT_ADMIN_TOKEN");
  EXPECT_EQ(resumed, 0) << resumed_out;
  std::ofstream(dir_ / "wrong") << "guess\n";
  auto [refused, refused_out] =
      cli({"pause", "demo", "--token-file", (dir_ / "wrong").string()}, "refused.log");
  EXPECT_EQ(refused, 1) << refused_out;
  EXPECT_NE(refused_out.find("401"), std::string::npos) << refused_out;
  EXPECT_EQ(weft->output().find("tok-e2e-5150"), std::string::npos) << "never logged";
}

}  // namespace
}  // namespace weft::test

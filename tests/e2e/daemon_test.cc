// End-to-end: the real weft binary on a temporary config, observed as an operator would.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_helpers.h"
#include "e2e/weft_process.h"
#include "support/http_client.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The `id` of every JSON line in the file sink's output (rotated files included).
std::vector<std::uint64_t> ids_in(const fs::path& file) {
  std::vector<std::uint64_t> ids;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_discarded()) {
      ADD_FAILURE() << "corrupt line in " << file << ": " << line;
      continue;
    }
    ids.push_back(value["id"].get<std::uint64_t>());
  }
  return ids;
}

// Lines in a file, counted without parsing (cheap enough to poll).
std::size_t line_count(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::size_t n = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    n += static_cast<std::size_t>(std::count(buf, buf + in.gcount(), '\n'));
  }
  return n;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "config");
    fs::create_directories(dir_ / "pipelines");
    write_daemon_config("127.0.0.1:0");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void write_daemon_config(const std::string& listen, const std::string& extra = "") {
    std::ofstream(dir_ / "config" / "weft.yaml")
        << "state:\n  path: ../data/weft.db\n"
        << "admin:\n  listen: " << listen << "\n"
        << "log:\n  level: info\n"
        << "pipelines:\n  dir: ../pipelines\n"
        << "shutdown:\n  deadline: 10s\n"
        << extra;
  }

  void write_pipeline(const std::string& file, const std::string& name, const std::string& out,
                      const std::string& source_extra = "rate: 2000\n") {
    std::string indented;
    std::istringstream in(source_extra);
    for (std::string line; std::getline(in, line);) indented += "  " + line + "\n";
    std::ofstream(dir_ / "pipelines" / file)
        << "name: " << name << "\n"
        << "source:\n  type: generate\n" << indented
        << "sink:\n  type: file\n  path: " << (dir_ / out).string() << "\n"
        << "checkpoint:\n  interval: 50ms\n";
  }

  std::unique_ptr<WeftProcess> start(const std::string& log_name = "weft.log") {
    auto p = std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", (dir_ / "config" / "weft.yaml").string()},
        (dir_ / log_name).string());
    auto port = p->admin_port(30s);
    EXPECT_TRUE(port.has_value()) << p->output();
    port_ = port.value_or(0);
    return p;
  }

  HttpResponse get(const std::string& target) { return http_get("127.0.0.1", port_, target); }

  nlohmann::json pipeline(const std::string& name) {
    auto r = get("/api/pipelines/" + name);
    if (r.status != 200) return nullptr;
    return nlohmann::json::parse(r.body);
  }

  fs::path dir_;
  unsigned short port_ = 0;
};

TEST_F(DaemonTest, RunsReloadsAndDrainsWithTheCheckpointSurvivingARestart) {
  write_pipeline("demo.yaml", "demo", "out/demo.jsonl");
  write_pipeline("steady.yaml", "steady", "out/steady.jsonl", "rate: 100\n");
  auto weft = start();

  // Operations surface.
  auto health = get("/healthz");
  EXPECT_EQ(health.status, 200);
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 200; })) << get("/readyz").body;
  ASSERT_TRUE(eventually([&] { return ids_in(dir_ / "out/demo.jsonl").size() >= 200; }))
      << weft->output();
  auto metrics = get("/metrics").body;
  EXPECT_GT(sample(metrics, "weft_records_in_total{pipeline=\"demo\"}").value_or(0), 0);
  EXPECT_GT(sample(metrics, "weft_records_out_total{pipeline=\"demo\",sink=\"file\"}").value_or(0),
            0);
  EXPECT_EQ(sample(metrics, "weft_pipeline_up{pipeline=\"demo\"}"), 1);
  EXPECT_GT(sample(metrics, "weft_last_success_timestamp_seconds{pipeline=\"demo\"}").value_or(0),
            1.7e9);
  EXPECT_NE(metrics.find("weft_build_info{version="), std::string::npos);
  auto api = pipeline("demo");
  EXPECT_EQ(api["state"], "running");
  EXPECT_EQ(api["config"]["sink"]["type"], "file");

  // SIGHUP with a changed pipeline: it restarts into the new file, continuing the numbering.
  write_pipeline("demo.yaml", "demo", "out/demo-v2.jsonl");
  weft->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return ids_in(dir_ / "out/demo-v2.jsonl").size() >= 100; }))
      << weft->output();
  std::uint64_t last_v1 = ids_in(dir_ / "out/demo.jsonl").back();
  EXPECT_EQ(ids_in(dir_ / "out/demo-v2.jsonl").front(), last_v1 + 1)
      << "the restarted pipeline resumed right after the drained one's checkpoint";
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(weft->output(), "[steady] starting pipeline"), 1u)
      << "an unchanged pipeline keeps running through a reload";
  EXPECT_EQ(count(weft->output(), "[demo] starting pipeline"), 2u);

  // SIGHUP with an invalid file: the old pipeline keeps running, /readyz says why.
  std::ofstream(dir_ / "pipelines" / "demo.yaml") << "name: demo\nsource:\n  type: generate\n"
                                                  << "  rate: fast\nsink: {type: file}\n";
  weft->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 503; }));
  auto ready = nlohmann::json::parse(get("/readyz").body);
  std::string reasons = ready["reasons"].dump();
  EXPECT_NE(reasons.find("demo.yaml:4:"), std::string::npos) << reasons;
  EXPECT_EQ(sample(get("/metrics").body, "weft_config_last_reload_successful"), 0);
  // Each reload is logged once as an event, for log-based alerting.
  EXPECT_EQ(count(weft->output(), "event=reload.applied "), 2u) << weft->output();
  EXPECT_EQ(count(weft->output(), "event=reload.rejected "), 1u) << weft->output();
  auto before = ids_in(dir_ / "out/demo-v2.jsonl").size();
  ASSERT_TRUE(eventually([&] { return ids_in(dir_ / "out/demo-v2.jsonl").size() > before + 100; }))
      << "the previous configuration keeps running";

  // SIGTERM drains and exits 0; the checkpoint is the last record written.
  weft->signal(SIGTERM);
  auto code = weft->wait(30s);
  ASSERT_TRUE(code.has_value()) << weft->output();
  EXPECT_EQ(*code, 0) << weft->output();
  std::uint64_t last_written = ids_in(dir_ / "out/demo-v2.jsonl").back();

  // Restart on the fixed file: the checkpoint survived, numbering continues with no gap or repeat.
  write_pipeline("demo.yaml", "demo", "out/demo-v2.jsonl");
  auto again = start("weft2.log");
  ASSERT_TRUE(eventually([&] {
    auto p = pipeline("demo");
    return !p.is_null() && p["records"]["out"].get<int>() > 0;
  }));
  auto ids = ids_in(dir_ / "out/demo-v2.jsonl");
  for (std::size_t i = 1; i < ids.size(); ++i) {
    ASSERT_EQ(ids[i], ids[i - 1] + 1) << "gap or repeat after id " << ids[i - 1]
                                      << " (last before restart: " << last_written << ")";
  }
  again->signal(SIGTERM);
  EXPECT_EQ(again->wait(30s), 0);
}

TEST_F(DaemonTest, AFailedPipelineIsReportedWhileOthersRunAndSighupRestartsIt) {
  write_pipeline("demo.yaml", "demo", "out/demo.jsonl");
  std::ofstream(dir_ / "blocker") << "a file where a directory should be";
  write_pipeline("broken.yaml", "broken", "blocker/out.jsonl");
  auto weft = start();
  ASSERT_TRUE(eventually([&] { return pipeline("broken")["state"] == "failed"; }))
      << weft->output();
  auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("pipeline broken: failed: sink file: cannot create directory"),
            std::string::npos)
      << ready.body;
  EXPECT_EQ(sample(get("/metrics").body, "weft_pipeline_up{pipeline=\"broken\"}"), 0);
  auto before = ids_in(dir_ / "out/demo.jsonl").size();
  ASSERT_TRUE(eventually([&] { return ids_in(dir_ / "out/demo.jsonl").size() > before + 100; }))
      << "the healthy pipeline keeps running";

  // The operator fixes the cause; SIGHUP restarts the failed pipeline (its file is unchanged).
  fs::remove(dir_ / "blocker");
  weft->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 200; })) << get("/readyz").body;
  ASSERT_TRUE(eventually([&] { return !ids_in(dir_ / "blocker/out.jsonl").empty(); }));
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
}

TEST_F(DaemonTest, KillDashNineLosesNothing) {
  write_pipeline("demo.yaml", "demo", "out/demo.jsonl", "rate: 5000\n");
  for (int round = 0; round < 3; ++round) {
    auto weft = start("weft" + std::to_string(round) + ".log");
    auto target = line_count(dir_ / "out/demo.jsonl") + 10000;
    ASSERT_TRUE(eventually([&] { return line_count(dir_ / "out/demo.jsonl") >= target; }))
        << weft->output();
    weft->signal(SIGKILL);
    EXPECT_EQ(weft->wait(10s), 128 + SIGKILL);
  }
  // Every id from 1 to the highest written is present: replays may repeat ids written after the
  // last checkpoint, but none is missing.
  auto ids = ids_in(dir_ / "out/demo.jsonl");
  std::set<std::uint64_t> unique(ids.begin(), ids.end());
  ASSERT_FALSE(unique.empty());
  EXPECT_EQ(*unique.begin(), 1u);
  EXPECT_EQ(unique.size(), *unique.rbegin()) << "missing ids";
  RecordProperty("duplicates_after_3_kills", static_cast<int>(ids.size() - unique.size()));
}

// Random (v4) canonical ids minted by the crosswalk stay attached to their source ids through
// kill -9 and replays: a link is durable before the record that needed it is delivered.
TEST_F(DaemonTest, CrosswalkIdsSurviveKillDashNineAndDriftIsReported) {
  fs::create_directories(dir_ / "models");
  std::ofstream(dir_ / "models" / "event.yaml")
      << "name: event\nfields:\n  event_id: {type: string, required: true}\n"
      << "  source_id: {type: int, required: true}\n";
  std::ofstream(dir_ / "pipelines" / "events.yaml")
      << "name: events\nsource: {type: generate, rate: 5000}\n"
      << "sink: {type: file, path: " << (dir_ / "out/events.jsonl").string() << "}\n"
      << "checkpoint: {interval: 50ms}\nmodel: event\nmap:\n"
      << "  event_id: {crosswalk: {entity: event, system: generator, from: $.id, mint: uuid_v4}}\n"
      << "  source_id: $.id\n";
  for (int round = 0; round < 2; ++round) {
    auto weft = start("weft" + std::to_string(round) + ".log");
    auto target = line_count(dir_ / "out/events.jsonl") + 3000;
    ASSERT_TRUE(eventually([&] { return line_count(dir_ / "out/events.jsonl") >= target; }))
        << weft->output();
    if (round == 1) {
      auto api = pipeline("events");
      ASSERT_TRUE(api.is_object());
      EXPECT_EQ(api["mapping"]["model"], "event@v1");
      EXPECT_GT(api["mapping"]["unknown_fields"]["message"].get<int>(), 0)
          << "generate's `message` is not mapped: schema drift";
      auto metrics = get("/metrics").body;
      EXPECT_GT(sample(metrics, "weft_mapper_unknown_fields_total{field=\"message\",pipeline=\"events\"}")
                    .value_or(0),
                0)
          << metrics;
    }
    weft->signal(SIGKILL);
    EXPECT_EQ(weft->wait(10s), 128 + SIGKILL);
  }
  std::map<std::uint64_t, std::string> canonical;
  std::ifstream in(dir_ / "out/events.jsonl");
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    auto value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_discarded()) continue;  // a line torn by the kill
    ++lines;
    auto [it, first] = canonical.emplace(value["source_id"].get<std::uint64_t>(),
                                         value["event_id"].get<std::string>());
    EXPECT_TRUE(first || it->second == value["event_id"]) << "source id " << it->first
                                                          << " got two canonical ids";
  }
  EXPECT_GE(lines, 6000u);
  EXPECT_EQ(canonical.begin()->first, 1u);
  EXPECT_EQ(canonical.size(), canonical.rbegin()->first) << "missing source ids";
}

TEST_F(DaemonTest, InvalidPipelineFileRefusesToStartAndNamesTheLocation) {
  std::ofstream(dir_ / "pipelines" / "bad.yaml")
      << "name: bad\nsource:\n  type: generate\n  rate: -5\n  colour: blue\nsink:\n  type: nope\n";
  auto [code, output] = run_weft({"run", "--config", (dir_ / "config/weft.yaml").string()},
                                 (dir_ / "out.log").string());
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("bad.yaml:4:"), std::string::npos) << output;   // rate out of range
  EXPECT_NE(output.find("bad.yaml:5:"), std::string::npos) << output;   // unknown key
  EXPECT_NE(output.find("bad.yaml:7:"), std::string::npos) << output;   // unknown sink type
  EXPECT_NE(output.find("colour"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(dir_ / "data" / "weft.db")) << "nothing is half-started";
}

TEST_F(DaemonTest, MalformedYamlAndDuplicateNamesAreReported) {
  std::ofstream(dir_ / "pipelines" / "a.yaml") << "name: same\nsource: {type: generate\n";
  write_pipeline("b.yaml", "same", "out/b.jsonl");
  write_pipeline("c.yaml", "same", "out/c.jsonl");
  auto [code, output] = run_weft({"validate", "--config", (dir_ / "config/weft.yaml").string()},
                                 (dir_ / "out.log").string());
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("a.yaml:"), std::string::npos) << output;
  EXPECT_NE(output.find("c.yaml:1:7: error: pipeline name 'same' is already used by"),
            std::string::npos)
      << output;
}

TEST_F(DaemonTest, PortInUseIsAClearStartupError) {
  write_pipeline("demo.yaml", "demo", "out/demo.jsonl");
  auto first = start();
  write_daemon_config("127.0.0.1:" + std::to_string(port_));
  auto [code, output] = run_weft({"run", "--config", (dir_ / "config/weft.yaml").string()},
                                 (dir_ / "second.log").string());
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("127.0.0.1:" + std::to_string(port_)), std::string::npos) << output;
  EXPECT_NE(output.find("in use"), std::string::npos) << output;
  first->signal(SIGTERM);
  EXPECT_EQ(first->wait(30s), 0);
}

TEST_F(DaemonTest, UnwritableStatePathIsAClearStartupError) {
  std::ofstream(dir_ / "blocker") << "a file, not a directory";
  std::ofstream(dir_ / "config" / "weft.yaml")
      << "state:\n  path: ../blocker/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
      << "pipelines:\n  dir: ../pipelines\n";
  write_pipeline("demo.yaml", "demo", "out/demo.jsonl");
  auto [code, output] = run_weft({"run", "--config", (dir_ / "config/weft.yaml").string()},
                                 (dir_ / "out.log").string());
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("blocker"), std::string::npos) << output;
}

TEST_F(DaemonTest, AdminTokenIsRequiredAndNeverLogged) {
  ::setenv("WEFT_TEST_ADMIN_TOKEN", "s3cr3t-token-value", 1);
  std::ofstream(dir_ / "config" / "weft.yaml")
      << "state:\n  path: ../data/weft.db\n"
      << "admin:\n  listen: 127.0.0.1:0\n  token: ${WEFT_TEST_ADMIN_TOKEN}\n"
      << "pipelines:\n  dir: ../pipelines\n";
  write_pipeline("demo.yaml", "demo", "out/demo.jsonl");
  auto weft = start();
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(get("/api/pipelines").status, 401);
  auto ok = http_get("127.0.0.1", port_, "/api/pipelines",
                     {{"Authorization", "Bearer s3cr3t-token-value"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body.find("s3cr3t"), std::string::npos);
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
  EXPECT_EQ(weft->output().find("s3cr3t"), std::string::npos);
}

TEST_F(DaemonTest, JsonLogsAreOneObjectPerLineNamingThePipeline) {
  std::ofstream(dir_ / "config" / "weft.yaml")
      << "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
      << "log:\n  format: json\npipelines:\n  dir: ../pipelines\n";
  write_pipeline("demo.yaml", "demo", "out/demo.jsonl");
  auto weft = std::make_unique<WeftProcess>(
      std::vector<std::string>{"run", "--config", (dir_ / "config" / "weft.yaml").string()},
      (dir_ / "weft.log").string());
  ASSERT_TRUE(eventually([&] { return weft->output().find("pipeline running") != std::string::npos; }))
      << weft->output();
  weft->signal(SIGTERM);
  ASSERT_EQ(weft->wait(30s), 0);
  std::istringstream lines(weft->output());
  int pipeline_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(entry.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(entry.contains("ts") && entry.contains("level") && entry.contains("msg")) << line;
    if (entry.value("pipeline", "") == "demo") ++pipeline_lines;
  }
  EXPECT_GE(pipeline_lines, 3) << "starting, running and stopped lines name their pipeline";
}

TEST_F(DaemonTest, CommandLineVerbsHaveHelp) {
  for (std::string verb : {"run", "validate", "spec", "version"}) {
    auto [code, output] = run_weft({verb, "--help"}, (dir_ / "help.log").string());
    EXPECT_EQ(code, 0) << verb;
    EXPECT_NE(output.find("NAME\n    weft " + verb + " - "), std::string::npos) << output;
  }
  auto [code, output] = run_weft({"spec", "file"}, (dir_ / "spec.log").string());
  EXPECT_EQ(code, 0);
  EXPECT_NE(output.find("max_size"), std::string::npos) << output;
  auto [bad_code, bad_output] = run_weft({"frobnicate"}, (dir_ / "bad.log").string());
  EXPECT_EQ(bad_code, 2);
  EXPECT_NE(bad_output.find("unknown command 'frobnicate'"), std::string::npos);
}

}  // namespace
}  // namespace weft::test

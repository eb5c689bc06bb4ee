// End-to-end delivery guarantees: the real daemon (with the `fault` test sink) against a target
// that rejects records, goes down and comes back, and a kill -9 in the middle of it all.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/e2e_helpers.h"
#include "e2e/fault_sink_output.h"
#include "e2e/weft_process.h"
#include "state/state_store.h"
#include "support/http_client.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DeliveryE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-delivery-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "config");
    fs::create_directories(dir_ / "pipelines");
    std::ofstream(dir_ / "config" / "weft.yaml")
        << "state: {path: ../data/weft.db}\nadmin: {listen: 127.0.0.1:0}\n"
        << "pipelines: {dir: ../pipelines}\nshutdown: {deadline: 10s}\n";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  void write_pipeline(const std::string& source, const std::string& extra) {
    std::ofstream(dir_ / "pipelines" / "orders.yaml")
        << "name: orders\nsource: " << source << "\n"
        << "sink: {type: fault, path: " << (dir_ / "out.jsonl").string()
        << ", control: " << (dir_ / "control.json").string() << "}\n"
        << "checkpoint: {interval: 50ms}\nbatch: {max_records: 100}\n"
        << extra;
  }

  void control(const std::string& json) {
    // Written whole and renamed, so the sink never reads half a file.
    std::ofstream(dir_ / "control.tmp") << json;
    fs::rename(dir_ / "control.tmp", dir_ / "control.json");
  }

  std::unique_ptr<WeftProcess> start(const std::string& log_name) {
    auto p = std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", (dir_ / "config" / "weft.yaml").string()},
        (dir_ / log_name).string(), fault_daemon_binary());
    auto port = p->admin_port(30s);
    EXPECT_TRUE(port.has_value()) << p->output();
    port_ = port.value_or(0);
    return p;
  }

  HttpResponse get(const std::string& target) { return http_get("127.0.0.1", port_, target); }

  nlohmann::json pipeline() {
    auto r = get("/api/pipelines/orders");
    if (r.status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(r.body);
  }

  std::vector<DeadLetter> dead_letters() {
    auto store = open_sqlite_state_store((dir_ / "data" / "weft.db").string());
    EXPECT_TRUE(store.ok()) << store.error().message();
    if (!store.ok()) return {};
    auto listed = (*store)->list_dead_letters(DeadLetterFilter{});
    EXPECT_TRUE(listed.ok());
    return listed.ok() ? std::move(*listed) : std::vector<DeadLetter>{};
  }

  // Runs `weft dlq <args>` and returns its exit code and output.
  std::pair<int, std::string> dlq(std::vector<std::string> args) {
    args.insert(args.begin(), "dlq");
    args.push_back("--config");
    args.push_back((dir_ / "config" / "weft.yaml").string());
    return run_weft(args, (dir_ / "dlq.log").string());
  }

  fs::path dir_;
  unsigned short port_ = 0;
};

TEST_F(DeliveryE2ETest, KillDashNineDuringRetriesThenRestartSettlesEveryRecordExactlyOnce) {
  constexpr int kRecords = 3000;
  const std::string rejected =
      R"("permanent_keys": ["10", "1500", "2999"], "retryable_keys": ["700"])";
  write_pipeline("{type: generate, count: 3000, rate: 3000}",
                 "retry: {initial: 10ms, max: 100ms, max_attempts: 4}\n"
                 "circuit_breaker: {failure_threshold: 3, open_for: 300ms}\n"
                 "idempotency: {key: \"{key}\"}\n");
  control("{" + rejected + "}");

  // The target goes down mid-stream; weft retries, the breaker opens; then kill -9.
  auto first = start("weft1.log");
  ASSERT_TRUE(eventually([&] { return delivered_keys(dir_ / "out.jsonl").size() >= 800; }))
      << first->output();
  control(R"({"down": true, )" + rejected + "}");
  ASSERT_TRUE(eventually([&] { return failed_calls(dir_ / "out.jsonl.calls") >= 4; }))
      << first->output();
  ASSERT_TRUE(eventually([&] { return pipeline()["circuit_breaker"]["state"] == "open"; }))
      << pipeline().dump();
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait(10s), 128 + SIGKILL);

  // Restart while the target is still down, then it comes back.
  auto second = start("weft2.log");
  ASSERT_TRUE(eventually([&] { return failed_calls(dir_ / "out.jsonl.calls") >= 6; }));
  control("{" + rejected + "}");
  ASSERT_TRUE(eventually([&] { return pipeline()["state"] == "finished"; }, 120s))
      << pipeline().dump() << second->output();
  EXPECT_EQ(sample(get("/metrics").body, "weft_dlq_depth{pipeline=\"orders\"}"), 4);
  second->signal(SIGTERM);
  ASSERT_EQ(second->wait(30s), 0) << second->output();

  // Every record is delivered or dead-lettered, never both, never neither; the DLQ holds each
  // failed record once, with the reason.
  const auto delivered = delivered_keys(dir_ / "out.jsonl");
  const auto letters = dead_letters();
  std::map<std::string, std::string> dead;  // key -> error
  for (const auto& letter : letters) {
    EXPECT_TRUE(dead.emplace(letter.record.key, letter.error).second)
        << "record " << letter.record.key << " dead-lettered twice";
  }
  EXPECT_EQ(dead.size(), 4u);
  EXPECT_NE(dead["10"].find("rejected"), std::string::npos) << dead["10"];
  EXPECT_NE(dead["700"].find("gave up after 4 attempt(s)"), std::string::npos) << dead["700"];
  int duplicates = 0;
  for (int n = 1; n <= kRecords; ++n) {
    const std::string key = std::to_string(n);
    const bool was_delivered = delivered.count(key) != 0;
    EXPECT_NE(was_delivered, dead.count(key) != 0) << "record " << key;
    if (was_delivered) duplicates += delivered.at(key) - 1;
  }
  EXPECT_EQ(delivered.size() + dead.size(), static_cast<std::size_t>(kRecords));
  // Records the sink wrote after the last flush before the kill arrive again (at least once);
  // that is the sink's durability window, not a lost record.
  RecordProperty("duplicates_after_kill", duplicates);
}

TEST_F(DeliveryE2ETest, AnOpenBreakerPausesTheSourceAndReadyzSaysWhy) {
  write_pipeline("{type: generate, rate: 2000}",
                 "circuit_breaker: {failure_threshold: 2, open_for: 200ms}\n");
  auto weft = start("weft.log");
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 200; }));
  control(R"({"down": true})");
  ASSERT_TRUE(eventually([&] { return pipeline()["circuit_breaker"]["state"] == "open"; }));
  auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("circuit breaker open for sink fault"), std::string::npos)
      << ready.body;
  auto metrics = get("/metrics").body;
  EXPECT_EQ(sample(metrics, R"(weft_circuit_breaker_state{pipeline="orders",sink="fault"})"), 2)
      << metrics;
  EXPECT_EQ(sample(metrics, R"(weft_source_paused{pipeline="orders"})"), 1);

  std::this_thread::sleep_for(100ms);
  const auto read_before = pipeline()["records"]["in"].get<std::uint64_t>();
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(pipeline()["records"]["in"].get<std::uint64_t>(), read_before)
      << "no reads while the breaker is open";
  EXPECT_TRUE(dead_letters().empty()) << "an outage does not fill the DLQ";

  control("{}");
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 200; })) << get("/readyz").body;
  ASSERT_TRUE(eventually(
      [&] { return pipeline()["records"]["in"].get<std::uint64_t>() > read_before + 500; }));
  EXPECT_EQ(pipeline()["circuit_breaker"]["state"], "closed");
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
}

TEST_F(DeliveryE2ETest, WhenMostRecordsFailThePipelinePausesAndReadyzSaysWhy) {
  write_pipeline("{type: generate, rate: 1000}", "dlq: {max_dlq_rate: 0.5, rate_window: 200}\n");
  control(R"({"reject_all": true})");  // e.g. a mapping that no longer fits the target
  auto weft = start("weft.log");
  // Not any 503: /readyz also says 503 while the pipeline is still starting.
  ASSERT_TRUE(eventually([&] {
    auto r = get("/readyz");
    return r.status == 503 && r.body.find("dead-letter rate") != std::string::npos;
  })) << weft->output();
  auto ready = get("/readyz").body;
  EXPECT_NE(ready.find("pipeline orders: degraded: dead-letter rate 100% of the last 200 records"),
            std::string::npos)
      << ready;
  EXPECT_EQ(sample(get("/metrics").body, R"(weft_source_paused{pipeline="orders"})"), 1);
  std::this_thread::sleep_for(300ms);  // batches already read when it paused are still settled
  const auto depth = pipeline()["dlq_depth"].get<std::uint64_t>();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(pipeline()["dlq_depth"].get<std::uint64_t>(), depth)
      << "paused: the source is not drained into the DLQ";
  EXPECT_LT(depth, 1000u);

  // The operator fixes the target; SIGHUP restarts the paused pipeline.
  control("{}");
  weft->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return get("/readyz").status == 200; })) << get("/readyz").body;
  ASSERT_TRUE(eventually([&] { return pipeline()["records"]["out"].get<std::uint64_t>() > 100; }));
  EXPECT_EQ(sample(get("/metrics").body, R"(weft_source_paused{pipeline="orders"})"), 0);
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
}

TEST_F(DeliveryE2ETest, WeftDlqReplayDeliversDeadLettersThroughTheRunningDaemon) {
  write_pipeline("{type: generate, rate: 500}", "");
  control(R"({"permanent_keys": ["5", "6"]})");
  auto weft = start("weft.log");
  ASSERT_TRUE(eventually([&] { return pipeline()["dlq_depth"] == 2; })) << pipeline().dump();

  auto [list_code, listed] = dlq({"list"});
  EXPECT_EQ(list_code, 0) << listed;
  EXPECT_NE(listed.find("fault: record 5 rejected"), std::string::npos) << listed;
  EXPECT_NE(listed.find("fault: record 6 rejected"), std::string::npos) << listed;

  control("{}");  // the target accepts them now
  auto [replay_code, replayed] = dlq({"replay", "--pipeline", "orders"});
  EXPECT_EQ(replay_code, 0) << replayed;
  ASSERT_TRUE(eventually([&] { return pipeline()["dlq_depth"] == 0; })) << pipeline().dump();
  EXPECT_EQ(pipeline()["records"]["replayed"], 2);
  weft->signal(SIGTERM);
  ASSERT_EQ(weft->wait(30s), 0);

  const auto delivered = delivered_keys(dir_ / "out.jsonl");
  EXPECT_EQ(delivered.count("5") ? delivered.at("5") : 0, 1);
  EXPECT_EQ(delivered.count("6") ? delivered.at("6") : 0, 1);
  EXPECT_TRUE(dead_letters().empty());
}

}  // namespace
}  // namespace weft::test

namespace weft::test {
namespace {

TEST_F(DeliveryE2ETest, AReplayMarkedWhileTheDaemonIsDownHappensAtItsNextStart) {
  write_pipeline("{type: generate, rate: 500}", "");
  control(R"({"permanent_keys": ["5", "6"]})");
  {
    auto weft = start("weft1.log");
    ASSERT_TRUE(eventually([&] { return pipeline()["dlq_depth"] == 2; })) << pipeline().dump();
    weft->signal(SIGTERM);
    ASSERT_EQ(weft->wait(30s), 0);
  }
  control("{}");
  auto [code, output] = dlq({"replay", "--pipeline", "orders"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("next starts"), std::string::npos) << output;
  ASSERT_EQ(dead_letters().size(), 2u);
  EXPECT_TRUE(dead_letters()[0].replay_requested);

  auto weft = start("weft2.log");
  ASSERT_TRUE(eventually([&] { return pipeline()["dlq_depth"] == 0; })) << pipeline().dump();
  weft->signal(SIGTERM);
  ASSERT_EQ(weft->wait(30s), 0);
  const auto delivered = delivered_keys(dir_ / "out.jsonl");
  EXPECT_EQ(delivered.count("5") ? delivered.at("5") : 0, 1);
  EXPECT_EQ(delivered.count("6") ? delivered.at("6") : 0, 1);
  EXPECT_TRUE(dead_letters().empty());
}

}  // namespace
}  // namespace weft::test

// End-to-end: signed Stripe webhooks -> the mapper's canonical customer -> the file sink, through
// the real binary, and a kill -9 right after a burst of 2xx answers: every event weft answered
// 2xx for reaches the sink after the restart.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/e2e_helpers.h"
#include "e2e/weft_process.h"
#include "support/http_client.h"
#include "webhook/signature.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSecret = "whsec_e2e_0123456789abcdef";

// Customer ids in the sink's output, with how often each arrived.
std::map<std::string, int> delivered_ids(const fs::path& file) {
  std::map<std::string, int> ids;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_discarded()) continue;  // a line cut by kill -9 was never acknowledged
    ++ids[value["id"].get<std::string>()];
  }
  return ids;
}

class WebhookE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-webhook-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "config");
    fs::create_directories(dir_ / "pipelines");
    ::setenv("WEFT_E2E_STRIPE_SECRET", kSecret, 1);
    std::ofstream(dir_ / "config" / "weft.yaml")
        << "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
        << "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n"
        << "webhooks:\n  listen: 127.0.0.1:0\n";
    std::ofstream(dir_ / "pipelines" / "stripe.yaml")
        << "name: stripe-customers\n"
        << "source:\n  type: webhook\n  path: /webhooks/stripe\n"
        << "  signature:\n    scheme: stripe\n    secret: ${WEFT_E2E_STRIPE_SECRET}\n"
        << "model:\n  name: customer\n  fields:\n"
        << "    id: {type: string, required: true}\n"
        << "    email: {type: string}\n"
        << "    event: {type: string}\n"
        << "filter: \"$.type == 'customer.created'\"\n"
        << "map:\n  id: $.data.object.id\n"
        << "  email: {from: $.data.object.email, fn: [trim, lower]}\n"
        << "  event: $.id\n"
        << "sink:\n  type: file\n  path: " << (dir_ / "out" / "customers.jsonl").string() << "\n"
        << "checkpoint: {interval: 50ms}\n";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::unique_ptr<WeftProcess> start(const std::string& log) {
    auto weft = std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", (dir_ / "config" / "weft.yaml").string()},
        (dir_ / log).string());
    port_ = weft->webhook_port(30s).value_or(0);
    EXPECT_NE(port_, 0) << weft->output();
    return weft;
  }

  // Posts a signed customer.created event; the HTTP status (0: no answer).
  int send(int n) {
    const std::string body = nlohmann::json{
        {"id", "evt_" + std::to_string(n)},
        {"type", "customer.created"},
        {"data", {{"object", {{"id", "cus_" + std::to_string(n)},
                              {"email", " User" + std::to_string(n) + "@Example.COM "}}}}}}
                                 .dump();
    webhook::SignatureConfig signature;
    signature.scheme = webhook::Scheme::kStripe;
    signature.secrets = {kSecret};
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    for (auto& [name, value] : webhook::sign(signature, body, now)) headers[name] = value;
    return http_request("POST", "127.0.0.1", port_, "/webhooks/stripe", headers, body).status;
  }

  fs::path dir_;
  unsigned short port_ = 0;
};

TEST_F(WebhookE2ETest, SignedEventsAreMappedAndDeliveredAndRetriesAreNotDuplicated) {
  auto weft = start("weft.log");
  for (int n = 1; n <= 20; ++n) ASSERT_EQ(send(n), 200);
  ASSERT_EQ(send(7), 200) << "Stripe retrying an event it already sent";
  const fs::path out = dir_ / "out" / "customers.jsonl";
  ASSERT_TRUE(eventually([&] { return delivered_ids(out).size() == 20; })) << weft->output();

  std::ifstream in(out);
  std::string first;
  std::getline(in, first);
  const auto customer = nlohmann::json::parse(first);
  EXPECT_EQ(customer["id"], "cus_1");
  EXPECT_EQ(customer["email"], "user1@example.com") << "mapped into the canonical model";
  EXPECT_EQ(delivered_ids(out)["cus_7"], 1) << "the retried event was not enqueued again";

  const auto metrics = http_get("127.0.0.1", *weft->admin_port(5s), "/metrics").body;
  EXPECT_EQ(sample(metrics, R"(weft_webhook_requests_total{code="200",pipeline="stripe-customers"})"),
            21.0);
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
  EXPECT_EQ(weft->output().find(kSecret), std::string::npos) << "the secret is never logged";
}

TEST_F(WebhookE2ETest, KillDashNineRightAfter2xxLosesNoAcceptedEvent) {
  auto weft = start("weft-1.log");
  constexpr int kSenders = 4;
  constexpr int kEach = 100;
  std::mutex mutex;
  std::set<std::string> accepted;
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kEach; ++i) {
        const int n = s * kEach + i;
        if (send(n) == 200) {
          std::lock_guard lock(mutex);
          accepted.insert("cus_" + std::to_string(n));
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  weft->signal(SIGKILL);  // the instant the last 2xx arrived
  weft->wait(10s);
  ASSERT_EQ(accepted.size(), static_cast<std::size_t>(kSenders * kEach)) << weft->output();

  auto restarted = start("weft-2.log");
  const fs::path out = dir_ / "out" / "customers.jsonl";
  ASSERT_TRUE(eventually([&] {
    const auto ids = delivered_ids(out);
    for (const auto& id : accepted) {
      if (!ids.count(id)) return false;
    }
    return true;
  })) << restarted->output();
  for (const auto& [id, times] : delivered_ids(out)) {
    EXPECT_TRUE(accepted.count(id)) << id << " was delivered but never accepted";
  }
  restarted->signal(SIGTERM);
  EXPECT_EQ(restarted->wait(30s), 0);
}

// While the sink's breaker has the pipeline paused, new webhooks get 503 and Retry-After (the
// provider keeps them); once the target is back they are accepted again, and everything that
// was accepted, before or during the outage, is delivered.
TEST_F(WebhookE2ETest, AnOpenBreakerTurnsNewWebhooksAwayUntilTheTargetIsBack) {
  const fs::path out = dir_ / "out.jsonl";
  const fs::path control = dir_ / "control.json";
  std::ofstream(control) << "{}";
  std::ofstream(dir_ / "pipelines" / "stripe.yaml")
      << "name: hooks\nsource:\n  type: webhook\n  path: /hooks\n"
      << "  signature:\n    scheme: none\n  event_id: '$.id'\n"
      << "sink:\n  type: fault\n  path: " << out.string() << "\n  control: " << control.string()
      << "\ncircuit_breaker: {failure_threshold: 1, open_for: 300ms}\n"
      << "checkpoint: {interval: 50ms}\n";
  auto weft = std::make_unique<WeftProcess>(
      std::vector<std::string>{"run", "--config", (dir_ / "config" / "weft.yaml").string()},
      (dir_ / "weft.log").string(), fault_daemon_binary());
  port_ = weft->webhook_port(30s).value_or(0);
  ASSERT_NE(port_, 0) << weft->output();

  int next = 0;
  std::set<std::string> accepted;
  auto post = [&] {
    const std::string id = "evt_" + std::to_string(++next);
    auto response = http_request("POST", "127.0.0.1", port_, "/hooks",
                                 {{"Content-Type", "application/json"}},
                                 nlohmann::json{{"id", id}}.dump());
    if (response.status == 200) accepted.insert(id);
    return response;
  };
  ASSERT_EQ(post().status, 200);

  std::ofstream(dir_ / "control.tmp") << R"({"down": true})";
  fs::rename(dir_ / "control.tmp", control);
  test::HttpResponse refused;
  ASSERT_TRUE(eventually([&] {
    refused = post();
    return refused.status == 503;
  })) << weft->output();
  EXPECT_FALSE(refused.header("Retry-After").empty());

  std::ofstream(dir_ / "control.tmp") << "{}";
  fs::rename(dir_ / "control.tmp", control);
  ASSERT_TRUE(eventually([&] { return post().status == 200; })) << weft->output();
  ASSERT_TRUE(eventually([&] {
    std::set<std::string> delivered;
    std::ifstream in(out);
    for (std::string line; std::getline(in, line);) {
      auto record = nlohmann::json::parse(line, nullptr, false);
      if (!record.is_discarded()) delivered.insert(record["value"]["id"].get<std::string>());
    }
    return std::includes(delivered.begin(), delivered.end(), accepted.begin(), accepted.end());
  })) << weft->output();
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
}

}  // namespace
}  // namespace weft::test

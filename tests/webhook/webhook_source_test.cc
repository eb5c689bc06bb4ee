// The webhook source in-process, through real HTTP: a WebhookIntake listening on a free port, the
// SQLite state store, and the source reading what the route made durable. Every answer a sender
// can get, and what the pipeline then sees.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>
#include <string>
#include <thread>
#include <vector>

#include "config/environment.h"
#include "connectors/run_coroutine.h"
#include "config/pipeline_config.h"
#include "state/state_store.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "webhook/intake.h"
#include "webhook/signature.h"
#include "webhook/webhook_config.h"
#include "webhook/webhook_source.h"
#include "weft/registry.h"

namespace weft {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kStripeSecret = "whsec_test_secret_for_weft";
constexpr const char* kGithubSecret = "It's a Secret to Everybody";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
      .count();
}

class WebhookSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_state_store(temp_.file("weft.db"));
    ASSERT_TRUE(store.ok()) << store.error().message();
    store_ = std::move(*store);
    net::HttpServerOptions options;
    options.name = "webhooks";
    options.listen = "127.0.0.1:0";
    intake_ = std::make_unique<WebhookIntake>(*store_, options, registry_);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    close_source();
    intake_->stop();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    intake_.reset();
  }

  // Builds the source from a `source:` block, as the config loader validates it.
  std::unique_ptr<Source> make_source(const std::string& block, const std::string& name = "hooks") {
    std::string text = "name: " + name + "\nsource:\n";
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);) text += "  " + line + "\n";
    text += "sink:\n  type: file\n  path: out.jsonl\n";
    auto loaded = load_pipeline_file(temp_.write(name + ".yaml", text), builtin_registry(),
                                     Environment::process());
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
    if (!loaded.ok()) return nullptr;
    auto config = webhook::WebhookConfig::from(loaded.value->source.settings);
    EXPECT_TRUE(config.ok()) << config.error().message();
    ConnectorContext context;
    context.pipeline = name;
    context.connector = "webhook";
    context.logger = spdlog::default_logger();
    auto source = make_webhook_source(std::move(*config), context, intake_.get());
    EXPECT_TRUE(source.ok());
    return std::move(*source);
  }

  // Runs a source coroutine on the intake's io_context (where the route wakes it) and waits.
  template <typename T>
  T run(asio::awaitable<T> op) {
    std::optional<T> result;
    asio::co_spawn(io_, testing::detail::store_result(std::move(op), &result), asio::use_future)
        .get();
    return std::move(*result);
  }
  void run(asio::awaitable<void> op) { asio::co_spawn(io_, std::move(op), asio::use_future).get(); }

  void start(const std::string& block, std::optional<Position> checkpoint = std::nullopt) {
    source_ = make_source(block);
    ASSERT_TRUE(source_);
    Status connected = run(source_->connect(std::move(checkpoint)));
    ASSERT_TRUE(connected.ok()) << connected.error().message();
  }

  void close_source() {
    if (!source_) return;
    asio::co_spawn(io_, source_->close(), asio::use_future).get();
    source_.reset();
  }

  Batch read(std::size_t max = 1000) {
    Result<Batch> batch = run(source_->read_batch(max));
    EXPECT_TRUE(batch.ok()) << batch.error().message();
    return batch.ok() ? std::move(*batch) : Batch{};
  }

  test::HttpResponse post(const std::string& target, const std::string& body,
                          std::map<std::string, std::string> headers,
                          const std::string& method = "POST") {
    if (!headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    return test::http_request(method, "127.0.0.1", intake_->port(), target, headers, body);
  }

  // Headers a provider would send for `body`, signed with `secret` at `timestamp`.
  static std::map<std::string, std::string> signed_by(webhook::Scheme scheme,
                                                      const std::string& secret,
                                                      const std::string& body,
                                                      std::int64_t timestamp = unix_now(),
                                                      const std::string& id = "msg_1") {
    webhook::SignatureConfig config;
    config.scheme = scheme;
    config.secrets = {secret};
    std::map<std::string, std::string> headers;
    for (auto& [name, value] : webhook::sign(config, body, timestamp, id)) headers[name] = value;
    return headers;
  }

  std::string metrics() {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }

  test::TempDir temp_;
  std::unique_ptr<StateStore> store_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  prometheus::Registry registry_;
  std::unique_ptr<WebhookIntake> intake_;
  std::vector<std::thread> threads_;
  std::unique_ptr<Source> source_;
};

const std::string kStripeBlock = std::string("type: webhook\npath: /webhooks/stripe\n") +
                                 "signature:\n  scheme: stripe\n  secret: " + kStripeSecret + "\n";

TEST_F(WebhookSourceTest, ASignedEventIsAcceptedDurablyAndReadWithItsIdAndTime) {
  start(kStripeBlock);
  const std::string body = R"({"id":"evt_1","type":"customer.created","data":{"object":{}}})";
  const std::int64_t signed_at = unix_now() - 10;
  auto response =
      post("/webhooks/stripe", body, signed_by(webhook::Scheme::kStripe, kStripeSecret, body,
                                               signed_at));
  ASSERT_EQ(response.status, 200) << response.body << response.error;
  EXPECT_EQ(nlohmann::json::parse(response.body)["status"], "accepted");
  // Durable before the answer: the store has it, whatever the pipeline does next.
  EXPECT_EQ(*store_->webhook_depth("hooks"), 1u);

  Batch batch = read();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].value.text(), body) << "the body reaches the pipeline byte for byte";
  EXPECT_EQ(batch[0].id, "evt_1");
  EXPECT_EQ(batch[0].key, "evt_1");
  EXPECT_EQ(batch[0].event_time, Clock::time_point(std::chrono::seconds(signed_at)));
}

TEST_F(WebhookSourceTest, ARetriedEventGets200ButIsEnqueuedOnce) {
  start(kStripeBlock);
  const std::string body = R"({"id":"evt_7","type":"invoice.paid"})";
  for (int i = 0; i < 3; ++i) {
    auto response =
        post("/webhooks/stripe", body, signed_by(webhook::Scheme::kStripe, kStripeSecret, body));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(nlohmann::json::parse(response.body)["status"], i == 0 ? "accepted" : "duplicate");
  }
  EXPECT_EQ(read().size(), 1u);
}

TEST_F(WebhookSourceTest, BadSignaturesAre401WithoutDetailAndCountedByReason) {
  start(kStripeBlock);
  const std::string body = R"({"id":"evt_1"})";
  auto wrong_secret =
      post("/webhooks/stripe", body, signed_by(webhook::Scheme::kStripe, "whsec_other", body));
  EXPECT_EQ(wrong_secret.status, 401);
  EXPECT_EQ(wrong_secret.body, R"({"error":"invalid signature"})");
  auto headers = signed_by(webhook::Scheme::kStripe, kStripeSecret, body);
  EXPECT_EQ(post("/webhooks/stripe", R"({"id":"evt_2"})", headers).status, 401) << "tampered";
  auto stale = signed_by(webhook::Scheme::kStripe, kStripeSecret, body, unix_now() - 3600);
  EXPECT_EQ(post("/webhooks/stripe", body, stale).status, 401);
  auto future = signed_by(webhook::Scheme::kStripe, kStripeSecret, body, unix_now() + 3600);
  EXPECT_EQ(post("/webhooks/stripe", body, future).status, 401);
  EXPECT_EQ(post("/webhooks/stripe", body, {}).status, 401) << "no signature header";

  EXPECT_EQ(*store_->webhook_depth("hooks"), 0u) << "nothing unverified is kept";
  const std::string text = metrics();
  EXPECT_NE(text.find(R"(weft_webhook_signature_failures_total{pipeline="hooks",reason="mismatch"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(reason="stale_timestamp"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(reason="future_timestamp"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(reason="missing_header"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(weft_webhook_requests_total{code="401",pipeline="hooks"} 5)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(kStripeSecret), std::string::npos) << "secrets never reach metrics";
}

TEST_F(WebhookSourceTest, EitherOfTwoSecretsVerifiesDuringRotation) {
  start("type: webhook\npath: /gh\nsignature:\n  scheme: github\n  secrets: [new-secret, " +
        std::string("\"") + kGithubSecret + "\"]\n");
  const std::string body = R"({"zen":"Keep it logically awesome."})";
  auto old_signed = signed_by(webhook::Scheme::kGithub, kGithubSecret, body);
  old_signed["X-GitHub-Delivery"] = "d-1";
  old_signed["X-GitHub-Event"] = "ping";
  EXPECT_EQ(post("/gh", body, old_signed).status, 200);
  auto new_signed = signed_by(webhook::Scheme::kGithub, "new-secret", body);
  new_signed["X-GitHub-Delivery"] = "d-2";
  EXPECT_EQ(post("/gh", body, new_signed).status, 200);
  auto retired = signed_by(webhook::Scheme::kGithub, "retired-secret", body);
  retired["X-GitHub-Delivery"] = "d-3";
  EXPECT_EQ(post("/gh", body, retired).status, 401);

  Batch batch = read();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].headers.at("x-github-event"), "ping") << "the scheme's headers are kept";
  EXPECT_EQ(batch[0].id, "d-1") << "GitHub's delivery id identifies the event";
}

TEST_F(WebhookSourceTest, StandardWebhooksAndSlackAndShopifyAndGenericHmacAreAccepted) {
  struct Case {
    std::string block;
    webhook::Scheme scheme;
    std::string secret;
  };
  const std::vector<Case> cases = {
      {"signature:\n  scheme: standard_webhooks\n  secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
       webhook::Scheme::kStandardWebhooks, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
      {"signature:\n  scheme: slack\n  secret: 8f742231b10e8888abcd99yyyzzz85a5\n",
       webhook::Scheme::kSlack, "8f742231b10e8888abcd99yyyzzz85a5"},
      {"signature:\n  scheme: shopify\n  secret: shpss_secret\n", webhook::Scheme::kShopify,
       "shpss_secret"},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.block);
    close_source();
    const std::string path = "/hook" + std::to_string(n++);
    start("type: webhook\npath: " + path + "\n" + c.block);
    const std::string body = R"({"event_id":"Ev1","n":)" + std::to_string(n) + "}";
    auto response = post(path, body, signed_by(c.scheme, c.secret, body));
    EXPECT_EQ(response.status, 200) << response.body;
    auto tampered = post(path, body + " ", signed_by(c.scheme, c.secret, body));
    EXPECT_EQ(tampered.status, 401);
  }

  close_source();
  start(
      "type: webhook\npath: /custom\nsignature:\n  scheme: hmac\n  secret: s3cret\n"
      "  header: X-Sig\n  algorithm: sha512\n  encoding: base64\n  prefix: 'v1='\n"
      "  timestamp_header: X-Ts\n  payload: '{timestamp}:{body}'\n");
  webhook::SignatureConfig custom;
  custom.scheme = webhook::Scheme::kHmac;
  custom.secrets = {"s3cret"};
  custom.header = "X-Sig";
  custom.digest = webhook::Digest::kSha512;
  custom.encoding = webhook::Encoding::kBase64;
  custom.prefix = "v1=";
  custom.timestamp_header = "X-Ts";
  custom.payload_template = "{timestamp}:{body}";
  const std::string body = R"({"ok":true})";
  std::map<std::string, std::string> headers;
  for (auto& [name, value] : webhook::sign(custom, body, unix_now())) headers[name] = value;
  EXPECT_EQ(post("/custom", body, headers).status, 200);
  headers["X-Ts"] = std::to_string(unix_now() - 1);
  EXPECT_EQ(post("/custom", body, headers).status, 401) << "the timestamp is signed";
}

TEST_F(WebhookSourceTest, EachWrongRequestGetsItsOwnStatus) {
  start(kStripeBlock);
  const std::string body = R"({"id":"evt_1"})";
  auto headers = signed_by(webhook::Scheme::kStripe, kStripeSecret, body);

  auto not_json = post("/webhooks/stripe", "{not json",
                       signed_by(webhook::Scheme::kStripe, kStripeSecret, "{not json"));
  EXPECT_EQ(not_json.status, 400);
  auto form_headers = headers;
  form_headers["Content-Type"] = "text/plain";
  EXPECT_EQ(post("/webhooks/stripe", body, form_headers).status, 415);
  auto wrong_method = post("/webhooks/stripe", body, headers, "PUT");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("Allow"), "POST");
  EXPECT_EQ(post("/webhooks/nobody", body, headers).status, 404);
  auto oversized = post("/webhooks/stripe", std::string(2 * 1024 * 1024, 'x'), headers);
  EXPECT_EQ(oversized.status, 413);
  EXPECT_EQ(*store_->webhook_depth("hooks"), 0u);
}

TEST_F(WebhookSourceTest, AFullBufferOrAPausedPipelineAnswers503WithRetryAfter) {
  start(kStripeBlock + "max_buffered: 2\n");
  auto send = [&](int i) {
    const std::string body = R"({"id":"evt_)" + std::to_string(i) + R"("})";
    return post("/webhooks/stripe", body, signed_by(webhook::Scheme::kStripe, kStripeSecret, body));
  };
  EXPECT_EQ(send(1).status, 200);
  EXPECT_EQ(send(2).status, 200);
  auto full = send(3);
  EXPECT_EQ(full.status, 503);
  EXPECT_FALSE(full.header("Retry-After").empty());

  // Delivered and acked: room again.
  Batch batch = read();
  ASSERT_EQ(batch.size(), 2u);
  ASSERT_TRUE(run(source_->commit(batch.back().position)).ok());
  EXPECT_EQ(send(3).status, 200) << "the rejected event is accepted on the provider's retry";

  source_->set_paused(true);
  auto paused = send(4);
  EXPECT_EQ(paused.status, 503);
  EXPECT_FALSE(paused.header("Retry-After").empty());
  source_->set_paused(false);
  EXPECT_EQ(send(4).status, 200);
}

TEST_F(WebhookSourceTest, HandshakesAreAnsweredAndNotEnqueued) {
  start(
      "type: webhook\npath: /slack\nsignature:\n  scheme: slack\n  secret: slack-secret\n"
      "get_challenge:\n  param: hub.challenge\n  token_param: hub.verify_token\n"
      "  token: my-token\n");
  const std::string body = R"({"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})";
  auto answer = post("/slack", body, signed_by(webhook::Scheme::kSlack, "slack-secret", body));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
  EXPECT_EQ(answer.header("Content-Type"), "text/plain");

  auto get = test::http_get("127.0.0.1", intake_->port(),
                            "/slack?hub.mode=subscribe&hub.verify_token=my-token&hub.challenge=c%2B1");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "c+1");
  auto wrong_token = test::http_get("127.0.0.1", intake_->port(),
                                    "/slack?hub.verify_token=guess&hub.challenge=1");
  EXPECT_EQ(wrong_token.status, 403);
  EXPECT_EQ(*store_->webhook_depth("hooks"), 0u);
}

TEST_F(WebhookSourceTest, FormBodiesBecomeObjectsAndResponsesFollowTheTemplate) {
  start(
      "type: webhook\npath: /cmd\nformat: form\nsignature:\n  scheme: none\n"
      "event_id: '{$.trigger_id}'\nheaders: [X-Request-Id]\n"
      "response:\n  status: 202\n  body: '{{\"received\":\"{id}\",\"by\":\"{$.user_name}\"}}'\n");
  const std::string body = "user_name=road+runner&text=%2Fhello&trigger_id=398.1";
  auto response = post("/cmd", body,
                       {{"Content-Type", "application/x-www-form-urlencoded"},
                        {"X-Request-Id", "r-9"}});
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, R"({"received":"398.1","by":"road runner"})");
  Batch batch = read();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].value.json()["text"], "/hello");
  EXPECT_EQ(batch[0].headers.at("x-request-id"), "r-9");
}

TEST_F(WebhookSourceTest, CommitsDeleteAckedEventsAndARestartResumesAfterTheCheckpoint) {
  start(kStripeBlock);
  for (int i = 1; i <= 5; ++i) {
    const std::string body = R"({"id":"evt_)" + std::to_string(i) + R"("})";
    ASSERT_EQ(post("/webhooks/stripe", body,
                   signed_by(webhook::Scheme::kStripe, kStripeSecret, body)).status,
              200);
  }
  Batch first = read(2);
  ASSERT_EQ(first.size(), 2u);
  const Position checkpoint = first.back().position;
  ASSERT_TRUE(run(source_->commit(checkpoint)).ok());
  // Deleted by the intake's writer, soon after.
  for (int i = 0; i < 500 && *store_->webhook_depth("hooks") != 3u; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(*store_->webhook_depth("hooks"), 3u);
  Batch unacked = read(2);  // read but never acked: a crash now must not lose them
  ASSERT_EQ(unacked.size(), 2u);

  close_source();
  start(kStripeBlock, checkpoint);
  Batch again = read();
  std::vector<std::string> ids;
  for (const auto& r : again) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"evt_3", "evt_4", "evt_5"}));
}

TEST_F(WebhookSourceTest, AStoppedPipelinesPathAnswers503SoTheProviderRetries) {
  start(kStripeBlock);
  close_source();
  const std::string body = R"({"id":"evt_1"})";
  auto response =
      post("/webhooks/stripe", body, signed_by(webhook::Scheme::kStripe, kStripeSecret, body));
  EXPECT_EQ(response.status, 503);
  EXPECT_FALSE(response.header("Retry-After").empty());
}

TEST_F(WebhookSourceTest, TwoSourcesCannotClaimOnePath) {
  start(kStripeBlock);
  auto second = make_source(kStripeBlock, "other");
  ASSERT_TRUE(second);
  Status claimed = run(second->connect(std::nullopt));
  ASSERT_FALSE(claimed.ok());
  EXPECT_NE(claimed.error().message().find("/webhooks/stripe"), std::string::npos);
  run(second->close());
}

// Many senders at once share group commits; every accepted event is read exactly once.
TEST_F(WebhookSourceTest, ConcurrentSendersAreAllAcceptedAndReadOnce) {
  start(kStripeBlock);
  constexpr int kSenders = 8;
  constexpr int kEach = 25;
  std::atomic<int> accepted{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kEach; ++i) {
        const std::string body =
            R"({"id":"evt_)" + std::to_string(s) + "_" + std::to_string(i) + R"("})";
        auto response = post("/webhooks/stripe", body,
                             signed_by(webhook::Scheme::kStripe, kStripeSecret, body));
        if (response.status == 200) ++accepted;
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(accepted.load(), kSenders * kEach);
  std::set<std::string> ids;
  for (Batch batch = read(); !batch.empty(); batch = read()) {
    for (const auto& r : batch) EXPECT_TRUE(ids.insert(r.id).second) << r.id << " read twice";
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kSenders * kEach));
}

}  // namespace
}  // namespace weft

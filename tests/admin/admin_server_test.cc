// The admin server over real sockets on 127.0.0.1, port 0.
#include "admin/admin_server.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/dead_letter_fixtures.h"
#include "admin/fake_status_provider.h"
#include "state/state_store.h"
#include "support/http_client.h"
#include "support/raw_connection.h"
#include "support/server_test_helpers.h"
#include "support/temp_dir.h"

namespace weft {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::http_get;
using test::http_request;
using test::HttpResponse;
using test::IoThreads;
using test::LogCapture;
using test::RawConnection;

constexpr const char* kLoopback = "127.0.0.1";

AdminOptions options(std::string listen, std::string bearer_token = "",
                     std::chrono::milliseconds read_timeout = 30s) {
  AdminOptions out;
  out.listen = std::move(listen);
  out.bearer_token = std::move(bearer_token);
  out.read_timeout = read_timeout;
  return out;
}


class AdminServerTest : public ::testing::Test {
 protected:
  void start(const AdminOptions& opts = options("127.0.0.1:0"), int threads = 2,
             StateStore* dead_letters = nullptr) {
    auto server = AdminServer::start(io_, opts, registry_, status_, dead_letters);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server).value();
    ASSERT_NE(server_->port(), 0);
    threads_ = std::make_unique<IoThreads>(io_, threads);
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (threads_) {
      EXPECT_TRUE(threads_->exited_within(5s)) << "io_context.run() did not return";
    }
    threads_.reset();
  }

  HttpResponse get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return http_get(kLoopback, server_->port(), target, headers);
  }

  boost::asio::io_context io_;
  prometheus::Registry registry_;
  test::FakeStatusProvider status_;
  test::TempDir dir_;
  std::unique_ptr<StateStore> store_;  // outlives the server
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<IoThreads> threads_;
};

TEST_F(AdminServerTest, HealthzSaysOk) {
  start();
  const auto response = get("/healthz");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(response.body), json({{"status", "ok"}}));
}

TEST_F(AdminServerTest, ReadyzFlipsTo503WithReasons) {
  start();
  auto ready = get("/readyz");
  ASSERT_EQ(ready.status, 200) << ready.error;
  EXPECT_EQ(ready.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(ready.body), json({{"status", "ready"}}));

  status_.set_not_ready({"pipeline orders: failed: sink file: cannot open /nope",
                         "pipeline users: circuit breaker open"});
  const auto not_ready = get("/readyz");
  ASSERT_EQ(not_ready.status, 503) << not_ready.error;
  EXPECT_EQ(not_ready.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(not_ready.body),
            json({{"status", "not ready"},
                  {"reasons",
                   {"pipeline orders: failed: sink file: cannot open /nope",
                    "pipeline users: circuit breaker open"}}}));

  status_.set_not_ready({});
  EXPECT_EQ(get("/readyz").status, 200);
}

TEST_F(AdminServerTest, MetricsExposeTheRegistry) {
  auto& family = prometheus::BuildCounter()
                     .Name("weft_test_events_total")
                     .Help("Events seen by the test")
                     .Register(registry_);
  family.Add({{"pipeline", "orders"}}).Increment(3);
  start();
  auto response = get("/metrics");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("# TYPE weft_test_events_total counter"), std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find("weft_test_events_total{pipeline=\"orders\"} 3\n"),
            std::string::npos)
      << response.body;

  family.Add({{"pipeline", "orders"}}).Increment(2);  // served live, not a snapshot from start()
  response = get("/metrics");
  EXPECT_NE(response.body.find("weft_test_events_total{pipeline=\"orders\"} 5\n"),
            std::string::npos)
      << response.body;
}

TEST_F(AdminServerTest, PipelinesListAndLookUp) {
  status_.add_pipeline("orders", json{{"name", "orders"}, {"state", "running"}});
  status_.add_pipeline("users", json{{"name", "users"}, {"state", "failed"}});
  start();

  const auto all = get("/api/pipelines");
  ASSERT_EQ(all.status, 200) << all.error;
  EXPECT_EQ(all.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(all.body), json::parse(R"([{"name":"orders","state":"running"},
                                                   {"name":"users","state":"failed"}])"));

  const auto one = get("/api/pipelines/users");
  ASSERT_EQ(one.status, 200) << one.error;
  EXPECT_EQ(one.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(one.body), json({{"name", "users"}, {"state", "failed"}}));

  const auto missing = get("/api/pipelines/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(missing.body), json({{"error", "no pipeline named 'nope'"}}));
}

TEST_F(AdminServerTest, EmptyPipelineListIsAnEmptyArray) {
  start();
  const auto response = get("/api/pipelines");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(json::parse(response.body), json::array());
}

TEST_F(AdminServerTest, UnknownPathIs404Json) {
  start();
  const auto response = get("/admin");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(response.body), json({{"error", "not found: /admin"}}));
}

TEST_F(AdminServerTest, OtherMethodsAre405WithAllow) {
  start();
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    const auto response =
        http_request(method, kLoopback, server_->port(), "/healthz", {}, R"({"x":1})");
    EXPECT_EQ(response.status, 405) << method << " " << response.error;
    EXPECT_EQ(response.header("allow"), "GET");
    EXPECT_EQ(response.header("content-type"), "application/json");
    EXPECT_EQ(json::parse(response.body),
              json({{"error", std::string("method ") + method + " not allowed on /healthz"}}));
  }
  const auto head = http_request("HEAD", kLoopback, server_->port(), "/metrics");
  EXPECT_EQ(head.status, 405) << head.error;
  EXPECT_EQ(head.body, "");
}

TEST_F(AdminServerTest, BearerTokenGuardsEverythingButTheProbes) {
  start(options("127.0.0.1:0", "s3cr3t-token"));
  for (const char* target : {"/metrics", "/api/pipelines", "/api/pipelines/x",
                             "/api/pipelines/x/tap"}) {
    const auto anonymous = get(target);
    EXPECT_EQ(anonymous.status, 401) << target << " " << anonymous.error;
    EXPECT_EQ(anonymous.header("www-authenticate"), R"(Bearer realm="weft")");
    EXPECT_EQ(anonymous.header("content-type"), "application/json");
    EXPECT_TRUE(json::parse(anonymous.body).contains("error"));

    const auto wrong = get(target, {{"Authorization", "Bearer guess-the-s3cr3t"}});
    EXPECT_EQ(wrong.status, 401) << target;
    EXPECT_EQ(wrong.header("www-authenticate"), R"(Bearer realm="weft", error="invalid_token")");
    EXPECT_EQ(wrong.body.find("guess"), std::string::npos) << wrong.body;
    EXPECT_EQ(wrong.body.find("s3cr3t"), std::string::npos) << wrong.body;
  }
  EXPECT_EQ(get("/metrics", {{"Authorization", "Bearer s3cr3t-token"}}).status, 200);
  EXPECT_EQ(get("/api/pipelines", {{"Authorization", "Bearer s3cr3t-token"}}).status, 200);
  EXPECT_EQ(get("/api/pipelines/x", {{"Authorization", "Bearer s3cr3t-token"}}).status, 404);
  EXPECT_EQ(get("/nowhere", {{"Authorization", "Bearer s3cr3t-token"}}).status, 404);
}

TEST_F(AdminServerTest, ProbesNeedNoToken) {
  start(options("127.0.0.1:0", "s3cr3t-token"));
  const auto health = get("/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(json::parse(health.body), json({{"status", "ok"}}));
  const auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.error;
  EXPECT_EQ(json::parse(ready.body), json({{"status", "ready"}}));
}

TEST_F(AdminServerTest, TapStreamsLinesChunkedAsTheyArriveUntilTheLimit) {
  status_.add_pipeline("orders", json{{"name", "orders"}});
  start();
  std::thread feeder([&] {
    // The stream exists once the request is routed; lines pushed later still reach the client.
    std::shared_ptr<TapStream> stream;
    for (int i = 0; i < 500 && !stream; ++i) {
      stream = status_.last_tap().first;
      std::this_thread::sleep_for(10ms);
    }
    if (!stream) return;
    stream->push(R"({"n":1})");
    std::this_thread::sleep_for(50ms);
    stream->push(R"({"n":2})");
    stream->push(R"({"n":3})");  // past the limit: never sent
  });
  const auto response = get("/api/pipelines/orders/tap?stage=sink&limit=2");
  feeder.join();
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.header("content-type"), "application/x-ndjson");
  EXPECT_EQ(response.header("transfer-encoding"), "chunked");
  EXPECT_EQ(response.body, "{\"n\":1}\n{\"n\":2}\n");
}

TEST_F(AdminServerTest, AnOpenTapDoesNotHoldUpStop) {
  status_.add_pipeline("orders", json{{"name", "orders"}});
  start();
  std::thread client([&] { get("/api/pipelines/orders/tap"); });
  for (int i = 0; i < 500 && !status_.last_tap().first; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_NE(status_.last_tap().first, nullptr);
  server_->stop();
  client.join();
  // TearDown checks that io_context::run() returns: the stream's wait ended.
}

TEST_F(AdminServerTest, KeepAliveServesPipelinedRequestsInOrder) {
  start();
  RawConnection connection(kLoopback, server_->port());
  ASSERT_TRUE(connection.ok()) << connection.error();
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                              "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
                              "GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  const std::string received = connection.read_until_closed(5s);
  EXPECT_TRUE(connection.closed_by_peer());
  const auto first = received.find("HTTP/1.1 200 OK");
  const auto second = received.find("HTTP/1.1 404 Not Found");
  const auto third = received.find("HTTP/1.1 200 OK", first + 1);
  ASSERT_NE(first, std::string::npos) << received;
  ASSERT_NE(second, std::string::npos) << received;
  ASSERT_NE(third, std::string::npos) << received;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

TEST_F(AdminServerTest, OversizedHeaderGets431AndTheConnectionCloses) {
  start();
  RawConnection connection(kLoopback, server_->port());
  ASSERT_TRUE(connection.ok()) << connection.error();
  connection.send("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Padding: " + std::string(70 * 1024, 'a') +
                  "\r\n\r\n");
  const std::string received = connection.read_until_closed(5s);
  EXPECT_TRUE(connection.closed_by_peer());
  EXPECT_TRUE(received.starts_with("HTTP/1.1 431 ")) << received.substr(0, 200);
}

TEST_F(AdminServerTest, OversizedBodyGets413AndTheConnectionCloses) {
  start();
  RawConnection connection(kLoopback, server_->port());
  ASSERT_TRUE(connection.ok()) << connection.error();
  const std::string body(100 * 1024, 'b');
  connection.send("POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::string received = connection.read_until_closed(5s);
  EXPECT_TRUE(connection.closed_by_peer());
  EXPECT_TRUE(received.starts_with("HTTP/1.1 413 ")) << received.substr(0, 200);
}

TEST_F(AdminServerTest, MalformedRequestGets400) {
  start();
  RawConnection connection(kLoopback, server_->port());
  ASSERT_TRUE(connection.ok()) << connection.error();
  connection.send("GET /healthz HTTP/9\r\n\r\n");
  const std::string received = connection.read_until_closed(5s);
  EXPECT_TRUE(connection.closed_by_peer());
  EXPECT_TRUE(received.starts_with("HTTP/1.1 400 ")) << received;
}

TEST_F(AdminServerTest, SilentConnectionIsClosedAfterTheReadTimeout) {
  start(options("127.0.0.1:0", "", 200ms));
  RawConnection silent(kLoopback, server_->port());
  ASSERT_TRUE(silent.ok()) << silent.error();
  RawConnection half_a_request(kLoopback, server_->port());
  ASSERT_TRUE(half_a_request.ok()) << half_a_request.error();
  ASSERT_TRUE(half_a_request.send("GET /healthz HTTP/1.1\r\nHost:"));

  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(silent.read_until_closed(5s), "");
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_EQ(half_a_request.read_until_closed(5s), "");
  EXPECT_TRUE(half_a_request.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(get("/healthz").status, 200);  // the server itself carries on
}

TEST_F(AdminServerTest, ServesIpv6Loopback) {
  start(options("[::1]:0"));
  const auto response = http_get("::1", server_->port(), "/healthz");
  EXPECT_EQ(response.status, 200) << response.error;
}

TEST_F(AdminServerTest, ConcurrentClientsAllGetAnswers) {
  status_.add_pipeline("orders", json{{"name", "orders"}});
  start(options("127.0.0.1:0"), 2);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const char* target = i % 3 == 0 ? "/metrics" : i % 3 == 1 ? "/readyz" : "/api/pipelines/orders";
        if (get(target).status == 200) ++ok;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok.load(), 100);
}

TEST_F(AdminServerTest, PortInUseNamesTheAddress) {
  start();
  const std::string taken = "127.0.0.1:" + std::to_string(server_->port());
  auto second = AdminServer::start(io_, options(taken), registry_, status_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message(), "admin.listen " + taken + ": address already in use");
}

TEST_F(AdminServerTest, InvalidListenStringIsAClearError) {
  for (const char* listen : {"nonsense", "localhost", "127.0.0.1:99999", "example.com:8686"}) {
    auto server = AdminServer::start(io_, options(listen), registry_, status_);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.error().kind(), ErrorKind::kInvalidConfig);
    EXPECT_TRUE(server.error().message().starts_with(std::string("admin.listen \"") + listen + "\": "))
        << server.error().message();
  }
}

TEST_F(AdminServerTest, UnassignableAddressIsAClearError) {
  auto server = AdminServer::start(io_, options("192.0.2.1:8686"), registry_, status_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().message(), "admin.listen 192.0.2.1:8686: cannot assign requested address");
}

TEST_F(AdminServerTest, StopClosesIdleConnectionsAndRunReturns) {
  start(options("127.0.0.1:0"), 2);
  RawConnection idle(kLoopback, server_->port());
  ASSERT_TRUE(idle.ok()) << idle.error();
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));  // stays open: keep-alive
  RawConnection silent(kLoopback, server_->port());
  ASSERT_TRUE(silent.ok()) << silent.error();
  EXPECT_NE(idle.read_until_closed(300ms).find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_FALSE(idle.closed_by_peer());

  server_->stop();
  EXPECT_TRUE(threads_->exited_within(5s)) << "io_context.run() did not return after stop()";
  idle.read_until_closed(1s);
  EXPECT_TRUE(idle.closed_by_peer());
  silent.read_until_closed(1s);
  EXPECT_TRUE(silent.closed_by_peer());

  // The port is released: nothing answers any more, and it can be bound again.
  const unsigned short port = server_->port();
  EXPECT_EQ(http_get(kLoopback, port, "/healthz", {}, 1s).status, 0);
  server_->stop();  // idempotent
  io_.restart();
  auto again = AdminServer::start(io_, options("127.0.0.1:" + std::to_string(port)), registry_,
                                  status_);
  EXPECT_TRUE(again.ok()) << again.error().message();
}

TEST_F(AdminServerTest, LogsOneDebugLinePerRequestWithoutTheToken) {
  LogCapture capture;
  start(options("127.0.0.1:0", "s3cr3t-token"));
  EXPECT_EQ(get("/healthz?probe=1").status, 200);
  EXPECT_EQ(get("/metrics", {{"Authorization", "Bearer wrong-s3cr3t"}}).status, 401);
  server_->stop();
  ASSERT_TRUE(threads_->exited_within(5s));  // every log line is written by now

  int healthz = 0;
  int metrics = 0;
  for (const auto& line : capture.lines()) {
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
    if (line.starts_with("debug admin: GET /healthz?probe=1 -> 200 in ")) ++healthz;
    if (line.starts_with("debug admin: GET /metrics -> 401 in ")) ++metrics;
    if (line.find(" ms") == std::string::npos && line.find("-> ") != std::string::npos) {
      ADD_FAILURE() << "no duration in: " << line;
    }
  }
  EXPECT_EQ(healthz, 1);
  EXPECT_EQ(metrics, 1);
}

TEST_F(AdminServerTest, DlqRoutesGetTheQueryStringAndThePostBody) {
  auto store = open_sqlite_state_store(dir_.file("weft.db"));
  ASSERT_TRUE(store.ok()) << store.error().message();
  store_ = std::move(*store);
  std::vector<DeadLetter> letters = {test::make_dead_letter("orders", "e1", Clock::now()),
                                     test::make_dead_letter("orders", "e2", Clock::now()),
                                     test::make_dead_letter("users", "e3", Clock::now())};
  ASSERT_TRUE(store_->add_dead_letters(letters).ok());
  start(options("127.0.0.1:0", "s3cr3t-token"), 2, store_.get());
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer s3cr3t-token"}};

  const auto page = get("/api/dlq?pipeline=orders&limit=1", auth);
  ASSERT_EQ(page.status, 200) << page.error << page.body;
  const json listed = json::parse(page.body);
  ASSERT_EQ(listed["entries"].size(), 1u);
  EXPECT_EQ(listed["entries"][0]["id"], letters[0].id);
  EXPECT_EQ(listed["next_after_id"], letters[0].id);

  const auto anonymous = http_request("POST", kLoopback, server_->port(), "/api/dlq/replay", {},
                                      R"({"all":true})");
  EXPECT_EQ(anonymous.status, 401) << anonymous.error;

  auto headers = auth;
  headers["Content-Type"] = "application/json";
  const auto replay = http_request("POST", kLoopback, server_->port(), "/api/dlq/replay", headers,
                                   R"({"pipeline":"orders"})");
  ASSERT_EQ(replay.status, 200) << replay.error << replay.body;
  EXPECT_EQ(json::parse(replay.body), json({{"matched", 2}, {"marked", 2}}));
  DeadLetterFilter marked;
  marked.replay_requested_only = true;
  auto entries = store_->list_dead_letters(marked);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].pipeline, "orders");
  EXPECT_EQ((*entries)[1].pipeline, "orders");

  const auto wrong_method = get("/api/dlq/replay", auth);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("allow"), "POST");
}

TEST_F(AdminServerTest, DestroyingWithoutEverRunningLeavesNoWork) {
  {
    auto server = AdminServer::start(io_, options("127.0.0.1:0"), registry_, status_);
    ASSERT_TRUE(server.ok()) << server.error().message();
  }  // destructor stops it
  IoThreads threads(io_, 1);
  EXPECT_TRUE(threads.exited_within(5s));
}

}  // namespace
}  // namespace weft

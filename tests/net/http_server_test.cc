// The generic HTTP server over real sockets on 127.0.0.1, port 0, with a blocking client that can
// send any bytes and an Asio TLS client (net/http_test_client.h).
#include "net/http_server.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server_fixture.h"
#include "net/http_test_client.h"
#include "support/raw_connection.h"
#include "support/server_test_helpers.h"
#include "support/temp_dir.h"

namespace weft::net {
namespace {

using namespace test_fixture;  // the fixture's names are the tests' vocabulary

TEST(HttpRequestTest, HeaderLookupIsCaseInsensitiveAndFindsTheFirst) {
  HttpRequest request;
  request.headers = {{"X-Hook-Id", "1"}, {"Content-Type", "text/plain"}, {"x-hook-id", "2"}};
  EXPECT_EQ(request.header("x-hook-ID"), "1");
  EXPECT_EQ(request.header("content-type"), "text/plain");
  EXPECT_EQ(request.header("X-Missing"), std::nullopt);
}

TEST(HttpRequestTest, PathQueryAndParameters) {
  HttpRequest request;
  request.target = "/webhooks/stripe?token=a%2Fb+c&flag&empty=&token=second&bad=%zz";
  EXPECT_EQ(request.path(), "/webhooks/stripe");
  EXPECT_EQ(request.query(), "token=a%2Fb+c&flag&empty=&token=second&bad=%zz");
  EXPECT_EQ(request.query_param("token"), "a/b c");  // the first one
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_EQ(request.query_param("empty"), "");
  EXPECT_EQ(request.query_param("bad"), "%zz");
  EXPECT_EQ(request.query_param("missing"), std::nullopt);

  request.target = "/plain";
  EXPECT_EQ(request.path(), "/plain");
  EXPECT_EQ(request.query(), "");
  EXPECT_EQ(request.query_param("token"), std::nullopt);
}

TEST_F(HttpServerTest, HandlerSeesTheWholeRequest) {
  start();
  WireClient client(server_->port());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(
      client.send("POST /hooks/a?x=1 HTTP/1.1\r\nHost: test\r\nX-Signature: abc\r\n"
                  "content-length: 5\r\n\r\nhello"));
  const auto response = client.read_response();
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST /hooks/a?x=1 hello");

  std::lock_guard lock(echo_.mutex);
  ASSERT_EQ(echo_.seen.size(), 1U);
  const HttpRequest& seen = echo_.seen[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/hooks/a?x=1");
  EXPECT_EQ(seen.query_param("x"), "1");
  EXPECT_EQ(seen.body, "hello");
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Host", "test"}, {"X-Signature", "abc"}, {"content-length", "5"}};
  EXPECT_EQ(seen.headers, headers);
  EXPECT_TRUE(seen.remote.starts_with("127.0.0.1:")) << seen.remote;
  EXPECT_NE(seen.remote, "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(HttpServerTest, ResponsesCarryTheStandardHeaders) {
  start();
  WireClient client(server_->port());
  ASSERT_TRUE(client.send(request_text("GET", "/")));
  const auto response = client.read_response();
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("server"), "weft");
  EXPECT_EQ(response.header("content-type"), "text/plain");
  EXPECT_EQ(response.header("content-length"), std::to_string(response.body.size()));
  EXPECT_EQ(response.header("cache-control"), "no-store");
  EXPECT_EQ(response.header("connection"), "");  // HTTP/1.1 keeps the connection by default

  ASSERT_TRUE(client.send(request_text("GET", "/retry")));
  const auto retry = client.read_response();
  EXPECT_EQ(retry.status, 429);
  EXPECT_EQ(retry.header("retry-after"), "7");
  EXPECT_EQ(retry.header("x-bad"), "");  // a header value with CR LF is dropped, not sent
  EXPECT_EQ(retry.header("injected"), "");
}

TEST_F(HttpServerTest, KeepAliveAnswersRequestsInOrder) {
  start();
  WireClient client(server_->port());
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(request_text("POST", "/one", "body" + std::to_string(i))));
    const auto response = client.read_response();
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "POST /one body" + std::to_string(i));
  }
  // Pipelined: both requests in one send, answered in order.
  ASSERT_TRUE(
      client.send(request_text("POST", "/a", "first") + request_text("POST", "/b", "second")));
  EXPECT_EQ(client.read_response().body, "POST /a first");
  EXPECT_EQ(client.read_response().body, "POST /b second");
  EXPECT_FALSE(client.readable_within(200ms)) << "the connection stays open";
}

TEST_F(HttpServerTest, Http10AndConnectionCloseCloseAfterTheResponse) {
  start();
  WireClient old(server_->port());
  ASSERT_TRUE(old.send("GET /old HTTP/1.0\r\n\r\n"));
  const auto response = old.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "GET /old ");
  EXPECT_EQ(old.read_until_closed(), "");
  EXPECT_TRUE(old.closed_by_peer());

  WireClient closing(server_->port());
  ASSERT_TRUE(closing.send(request_text("GET", "/x", "", "Connection: close\r\n")));
  const auto closed = closing.read_response();
  EXPECT_EQ(closed.status, 200);
  EXPECT_EQ(closed.header("connection"), "close");
  EXPECT_EQ(closing.read_until_closed(), "");
  EXPECT_TRUE(closing.closed_by_peer());
}

TEST_F(HttpServerTest, Http10KeepAliveWhenAskedFor) {
  start();
  WireClient client(server_->port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.send("GET /ab HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    const auto response = client.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("connection"), "keep-alive");
  }
}

TEST_F(HttpServerTest, HeadGetsNoBody) {
  start();
  WireClient client(server_->port());
  ASSERT_TRUE(client.send(request_text("HEAD", "/thing")));
  const auto head = client.read_response(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(std::string("HEAD /thing ").size()));
  // Had a body been sent, it would now be read as the next response's start.
  ASSERT_TRUE(client.send(request_text("GET", "/next")));
  const auto next = client.read_response();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "GET /next ");
}

TEST_F(HttpServerTest, ResponseCloseClosesTheConnection) {
  start();
  WireClient client(server_->port());
  ASSERT_TRUE(client.send(request_text("POST", "/bye", "x")));
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("connection"), "close");
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  start();
  WireClient client(server_->port());
  const std::string body(5000, 'e');
  ASSERT_TRUE(
      client.send("POST /big HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
                  "Content-Length: 5000\r\n\r\n"));
  const auto interim = client.read_response(false, 2s);
  ASSERT_EQ(interim.status, 100) << "no 100 Continue while the client waits";
  ASSERT_TRUE(client.send(body));
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST /big " + body);
}

TEST_F(HttpServerTest, ExpectContinueOverTheLimitGets413Instead) {
  auto opts = options();
  opts.max_body_bytes = 1024;
  start(opts);
  WireClient client(server_->port());
  ASSERT_TRUE(
      client.send("POST /big HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
                  "Content-Length: 5000\r\n\r\n"));
  const auto response = client.read_response(false, 2s);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.body, R"({"error":"request body exceeds 1 KiB"})");
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(echo_.seen.empty());
}

TEST_F(HttpServerTest, OversizedBodyGets413AndTheClientReadsIt) {
  auto opts = options();
  opts.max_body_bytes = 1024 * 1024;
  start(opts);
  WireClient client(server_->port());
  // The client sends all of it before reading: the lingering close lets the 413 through.
  ASSERT_TRUE(client.send(request_text("POST", "/big", std::string(1024 * 1024 + 1, 'b'))));
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.body, R"({"error":"request body exceeds 1 MiB"})");
  client.read_until_closed();
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, BodyLimitIsPerRoute) {
  std::atomic<int> calls{0};
  start(options(), [&calls](std::string_view method, std::string_view target) -> std::size_t {
    ++calls;
    return method == "POST" && target == "/small" ? 10 : 0;
  });
  WireClient small(server_->port());
  ASSERT_TRUE(small.send(request_text("POST", "/small", std::string(11, 's'))));
  const auto rejected = small.read_response();
  EXPECT_EQ(rejected.status, 413);
  EXPECT_EQ(rejected.body, R"({"error":"request body exceeds 10 bytes"})");

  WireClient other(server_->port());
  ASSERT_TRUE(other.send(request_text("POST", "/small", std::string(10, 's')) +
                         request_text("POST", "/other", std::string(5000, 'o'))));
  EXPECT_EQ(other.read_response().status, 200);
  EXPECT_EQ(other.read_response().status, 200);
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(HttpServerTest, ChunkedBodiesAreReassembledAndLimited) {
  auto opts = options();
  opts.max_body_bytes = 16;
  start(opts);
  WireClient client(server_->port());
  ASSERT_TRUE(
      client.send("POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST /c hello world");

  WireClient too_big(server_->port());
  ASSERT_TRUE(
      too_big.send("POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n"));
  const auto rejected = too_big.read_response();
  EXPECT_EQ(rejected.status, 413);
  EXPECT_EQ(rejected.body, R"({"error":"request body exceeds 16 bytes"})");
  too_big.read_until_closed();
  EXPECT_TRUE(too_big.closed_by_peer());
}

TEST_F(HttpServerTest, OversizedHeaderGets431) {
  auto opts = options();
  opts.max_header_bytes = 1024;
  start(opts);
  WireClient client(server_->port());
  ASSERT_TRUE(
      client.send(request_text("GET", "/", "", "X-Padding: " + std::string(2000, 'p') + "\r\n")));
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 431);
  EXPECT_EQ(response.body, R"({"error":"request header exceeds 1 KiB"})");
  client.read_until_closed();
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, MalformedRequestsGet400) {
  start();
  const std::vector<std::string> malformed{
      std::string("\x01\x02\x03 garbage\r\n\r\n"),
      "POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
      "G(E)T / HTTP/1.1\r\nHost: test\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
  };
  for (const auto& bytes : malformed) {
    WireClient client(server_->port());
    ASSERT_TRUE(client.send(bytes));
    const auto response = client.read_response();
    EXPECT_EQ(response.status, 400) << bytes;
    EXPECT_EQ(response.body, R"({"error":"malformed HTTP request"})") << bytes;
    client.read_until_closed();
    EXPECT_TRUE(client.closed_by_peer()) << bytes;
  }
  EXPECT_TRUE(echo_.seen.empty());
}

TEST_F(HttpServerTest, SlowHeaderIsCutOffAtTheReadTimeout) {
  auto opts = options();
  opts.read_timeout = 300ms;
  start(opts);
  WireClient client(server_->port());
  // A byte every 100 ms: each read is quick, the request as a whole is not.
  const std::string header =
      request_text("GET", "/", "", "X-Slow: " + std::string(200, 's') + "\r\n");
  const auto started = Clock::now();
  for (const char c : header) {
    if (!client.send(std::string_view(&c, 1)) || client.readable_within(100ms)) break;
    ASSERT_LT(Clock::now() - started, 5s) << "the server never cut the slow client off";
  }
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 408);
  EXPECT_EQ(response.body, R"({"error":"request timed out"})");
  client.read_until_closed();
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(echo_.seen.empty());
}

TEST_F(HttpServerTest, SlowBodyIsCutOffAtTheReadTimeout) {
  auto opts = options();
  opts.read_timeout = 300ms;
  start(opts);
  WireClient client(server_->port());
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nabc"));
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 408);
  client.read_until_closed();
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, SilentConnectionIsClosedWithoutAnAnswer) {
  auto opts = options();
  opts.read_timeout = 300ms;
  start(opts);
  WireClient client(server_->port());
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  auto opts = options();
  opts.read_timeout = 60s;  // so that only the idle timeout can close it within the bound
  opts.idle_timeout = 300ms;
  start(opts);
  WireClient client(server_->port());
  ASSERT_TRUE(client.send(request_text("GET", "/")));
  EXPECT_EQ(client.read_response().status, 200);
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(open_connections_reach(0));
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  auto opts = options();
  opts.max_connections = 2;
  start(opts);
  auto first = std::make_unique<WireClient>(server_->port());
  WireClient second(server_->port());
  for (WireClient* client : {first.get(), &second}) {
    ASSERT_TRUE(client->send(request_text("GET", "/")));
    ASSERT_EQ(client->read_response().status, 200);
  }
  EXPECT_EQ(server_->open_connections(), 2U);

  WireClient third(server_->port());
  ASSERT_TRUE(third.send(request_text("GET", "/")));
  const auto busy = third.read_response();
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.header("retry-after"), "1");
  EXPECT_EQ(busy.header("connection"), "close");
  third.read_until_closed();
  EXPECT_TRUE(third.closed_by_peer());

  first.reset();
  ASSERT_TRUE(open_connections_reach(1));
  WireClient fourth(server_->port());
  ASSERT_TRUE(fourth.send(request_text("GET", "/")));
  EXPECT_EQ(fourth.read_response().status, 200);
}

TEST_F(HttpServerTest, BeyondAsManyAgainTurnedAwayConnectionsAreClosedAtOnce) {
  auto opts = options();
  opts.max_connections = 1;
  start(opts);
  WireClient served(server_->port());
  ASSERT_TRUE(served.send(request_text("GET", "/")));
  ASSERT_EQ(served.read_response().status, 200);

  WireClient busy(server_->port());  // gets 503, then lingers up to 1 s waiting for this client
  WireClient dropped(server_->port());
  EXPECT_EQ(dropped.read_until_closed(), "");
  EXPECT_TRUE(dropped.closed_by_peer());
  EXPECT_EQ(busy.read_response().status, 503);
}

TEST_F(HttpServerTest, HandlerExceptionGives500AndServingGoesOn) {
  LogCapture log;
  start();
  WireClient client(server_->port());
  ASSERT_TRUE(client.send(request_text("POST", "/boom", "x")));
  const auto failed = client.read_response();
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body, R"({"error":"internal error"})");
  ASSERT_TRUE(client.send(request_text("GET", "/after")));
  EXPECT_EQ(client.read_response().status, 200);

  bool logged = false;
  for (const auto& line : log.lines()) {
    logged = logged || (line.starts_with("error webhook: ") &&
                        line.find("handler blew up") != std::string::npos);
  }
  EXPECT_TRUE(logged);
}

TEST_F(HttpServerTest, StopClosesConnectionsAndRunReturns) {
  start();
  const unsigned short port = server_->port();
  WireClient idle(port);
  ASSERT_TRUE(idle.send(request_text("GET", "/")));
  ASSERT_EQ(idle.read_response().status, 200);
  WireClient silent(port);
  ASSERT_TRUE(open_connections_reach(2));

  server_->stop();
  EXPECT_TRUE(threads_->exited_within(5s)) << "io_context.run() did not return after stop()";
  idle.read_until_closed(1s);
  EXPECT_TRUE(idle.closed_by_peer());
  silent.read_until_closed(1s);
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_EQ(server_->port(), port);
  server_->stop();  // idempotent
  test::RawConnection refused(kLoopback, port);
  EXPECT_FALSE(refused.ok()) << "the listener is closed";
}

TEST_F(HttpServerTest, StopLetsARunningHandlerFinish) {
  echo_.slow_delay = 300ms;
  start();
  WireClient client(server_->port());
  ASSERT_TRUE(client.send(request_text("POST", "/slow", "x")));
  const auto deadline = Clock::now() + 5s;
  while (!echo_.slow_started && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(echo_.slow_started);

  server_->stop();
  EXPECT_TRUE(threads_->exited_within(5s));
  EXPECT_TRUE(echo_.slow_finished);
  client.read_until_closed(1s);
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, ConcurrentClientsAllGetAnswers) {
  start();
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      WireClient client(server_->port());
      for (int i = 0; i < 25; ++i) {
        const std::string body = std::to_string(c) + "-" + std::to_string(i);
        if (!client.send(request_text("POST", "/", body))) return;
        if (client.read_response().body == "POST / " + body) ++ok;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ok.load(), 100);
}

TEST_F(HttpServerTest, PortInUseNamesTheOption) {
  start();
  const std::string taken = "127.0.0.1:" + std::to_string(server_->port());
  auto opts = options();
  opts.listen = taken;
  auto second = HttpServer::start(io_, opts, [this](HttpRequest& r) { return echo(echo_, r); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message(), "webhook listen " + taken + ": address already in use");
}

TEST_F(HttpServerTest, InvalidListenIsAConfigError) {
  for (const char* listen : {"nonsense", "127.0.0.1:99999", "example.com:80"}) {
    auto opts = options();
    opts.listen = listen;
    auto server = HttpServer::start(io_, opts, [this](HttpRequest& r) { return echo(echo_, r); });
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.error().kind(), ErrorKind::kInvalidConfig);
    EXPECT_TRUE(server.error().message().starts_with(std::string("webhook listen \"") + listen))
        << server.error().message();
  }
}

}  // namespace
}  // namespace weft::net

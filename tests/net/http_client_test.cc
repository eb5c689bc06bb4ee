// HttpClient over plain HTTP against weft's own HttpServer and raw sockets: round trips,
// keep-alive, decoding, limits, redirects, failures, timeouts, cancellation and secrets.

#include <gtest/gtest.h>

#include "net/http_client_fixture.h"

namespace weft::net {
namespace {

using namespace client_test;  // the fixture's names are the tests' vocabulary

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(HttpClientTest, GetSendsQueryAndHeadersAndReadsTheAnswer) {
  start_server();
  auto client = make_client();
  set_handler([](const HttpRequest& request) {
    HttpResponse response = echo(request);
    response.headers.emplace_back("X-Answer", "42");
    return response;
  });
  const auto response = send(client, make_request("GET", url("/things?a=1&b=x%20y"), "",
                                                  {{"X-Test", "yes"}, {"Accept", "text/plain"}}));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /things?a=1&b=x%20y ");
  EXPECT_EQ(response->header("x-answer"), "42");
  EXPECT_EQ(response->header("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(response->header("X-Missing"), std::nullopt);
  EXPECT_EQ(response->url, url("/things?a=1&b=x%20y"));

  const auto requests = seen();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].query_param("b"), "x y");
  EXPECT_EQ(requests[0].header("X-Test"), "yes");
  EXPECT_EQ(requests[0].header("Host"), "127.0.0.1:" + std::to_string(port()));
  EXPECT_TRUE(requests[0].header("User-Agent")->starts_with("weft/"));
  EXPECT_EQ(requests[0].header("Accept-Encoding"), "gzip, deflate");
  EXPECT_EQ(requests[0].header("Content-Length"), std::nullopt);
}

TEST_F(HttpClientTest, PostSendsTheBodyWithItsLength) {
  start_server();
  auto client = make_client();
  const auto response = send(client, make_request("POST", url("/items"), R"({"id":7})",
                                                  {{"Content-Type", "application/json"}}));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->body, R"(POST /items {"id":7})");
  const auto requests = seen();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].header("Content-Length"), "8");

  ASSERT_TRUE(send(client, make_request("POST", url("/empty"))).ok());
  EXPECT_EQ(seen().back().header("Content-Length"), "0");  // a POST says its body is empty
}

TEST_F(HttpClientTest, RequestHeadersReplaceSameNamedDefaults) {
  start_server();
  auto options = client_options();
  options.default_headers = {{"X-Team", "data"}, {"X-Mode", "default"}, {"User-Agent", "sync/2"}};
  options.accept_compressed = false;
  auto client = make_client(options);
  ASSERT_TRUE(send(client, make_request("GET", url("/"), "", {{"x-mode", "override"}})).ok());
  const auto request = seen().at(0);
  EXPECT_EQ(request.header("X-Team"), "data");
  EXPECT_EQ(request.header("X-Mode"), "override");
  int modes = 0;
  for (const auto& [name, value] : request.headers) modes += name == "X-Mode" || name == "x-mode";
  EXPECT_EQ(modes, 1);
  EXPECT_EQ(request.header("User-Agent"), "sync/2");
  EXPECT_EQ(request.header("Accept-Encoding"), std::nullopt);
}

TEST_F(HttpClientTest, SequentialRequestsShareOneConnection) {
  start_server();
  auto client = make_client();
  for (int i = 0; i < 4; ++i) {
    const auto response = get(client, url("/n/" + std::to_string(i)));
    ASSERT_TRUE(response.ok()) << response.error().message();
  }
  EXPECT_EQ(seen().size(), 4U);
  EXPECT_EQ(remotes().size(), 1U);
}

TEST_F(HttpClientTest, ParallelRequestsUseConnectionsOfTheirOwnAndThePoolKeepsTheLimit) {
  start_server();
  auto options = client_options();
  options.max_idle_connections_per_host = 2;
  auto client = make_client(options);
  std::vector<std::future<Result<ClientResponse>>> pending;
  for (int i = 0; i < 3; ++i) {
    pending.push_back(start_send(client, make_request("GET", url("/slow/" + std::to_string(i)))));
  }
  for (auto& future : pending) {
    ASSERT_EQ(future.wait_for(kHang), std::future_status::ready);
    const auto response = future.get();
    ASSERT_TRUE(response.ok()) << response.error().message();
  }
  EXPECT_EQ(remotes().size(), 3U);
  EXPECT_TRUE(open_connections_reach(2)) << "the pool kept more than 2 idle connections";
  ASSERT_TRUE(get(client, url("/again")).ok());
  EXPECT_EQ(remotes().size(), 3U);  // a pooled one was reused
}

TEST_F(HttpClientTest, ServerClosingAnIdleConnectionIsNoError) {
  HttpServerOptions options;
  options.idle_timeout = 200ms;  // the server closes keep-alive connections quickly
  start_server(options);
  auto client = make_client();
  ASSERT_TRUE(get(client, url("/first")).ok());
  ASSERT_TRUE(open_connections_reach(0)) << "the server did not close the idle connection";
  const auto second = get(client, url("/second"));
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(remotes().size(), 2U);
}

// The server closes a kept-alive connection just as the next request arrives on it (its idle
// timeout racing the request): a GET is sent again on a new connection.
TEST_F(HttpClientTest, GetOnAPooledConnectionClosedUnderItIsRetriedOnce) {
  std::atomic<int> requests{0};
  RawServer server([&](tcp::socket& socket) {
    std::string pending;
    if (RawServer::read_request(socket, pending).empty()) return;
    ++requests;
    RawServer::write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    if (!RawServer::read_request(socket, pending).empty()) ++requests;  // then closes unanswered
  });
  auto client = make_client();
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
  ASSERT_TRUE(get(client, target).ok());
  const auto second = get(client, target);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->body, "ok");
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(requests, 3);
}

// A POST is not idempotent: the server may have acted on it before closing, so it is not sent
// twice; the caller gets a retryable error and decides.
TEST_F(HttpClientTest, PostOnAPooledConnectionClosedUnderItIsNotRepeated) {
  RawServer server([](tcp::socket& socket) {
    std::string pending;
    if (RawServer::read_request(socket, pending).empty()) return;
    RawServer::write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    RawServer::read_request(socket, pending);
  });
  auto client = make_client();
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port()) + "/orders";
  ASSERT_TRUE(send(client, make_request("POST", target, "a")).ok());
  const auto second = send(client, make_request("POST", target, "b"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind(), ErrorKind::kRetryable) << second.error().message();
  EXPECT_TRUE(contains(second.error().message(), "POST " + target + ": connection closed"))
      << second.error().message();
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(HttpClientTest, IdleConnectionsAreClosedAfterTheIdleTimeoutAndByCloseIdle) {
  start_server();
  auto options = client_options();
  options.idle_timeout = 200ms;
  auto client = make_client(options);
  ASSERT_TRUE(get(client, url("/a")).ok());
  EXPECT_TRUE(open_connections_reach(0)) << "the pooled connection outlived the idle timeout";

  auto keeper = make_client();  // default idle timeout: only close_idle() closes
  ASSERT_TRUE(get(keeper, url("/b")).ok());
  EXPECT_TRUE(open_connections_reach(1));
  client_thread_.call([&] { keeper->close_idle(); });
  EXPECT_TRUE(open_connections_reach(0));
  EXPECT_TRUE(get(keeper, url("/c")).ok());
}

TEST_F(HttpClientTest, GzipAndDeflateBodiesAreDecoded) {
  const std::string text = [] {
    std::string out;
    for (int i = 0; i < 2000; ++i) out += "record " + std::to_string(i) + "\n";
    return out;
  }();
  set_handler([&text](const HttpRequest& request) {
    HttpResponse response;
    const std::string encoding(request.path().substr(1));
    const int window = encoding == "gzip" ? 15 + 16 : encoding == "deflate" ? 15 : -15;
    response.body = compress(text, window);
    response.headers.emplace_back("Content-Encoding", encoding == "raw" ? "deflate" : encoding);
    return response;
  });
  start_server();
  auto client = make_client();
  for (const std::string encoding : {"gzip", "deflate", "raw"}) {
    const auto response = get(client, url("/" + encoding));
    ASSERT_TRUE(response.ok()) << encoding << ": " << response.error().message();
    EXPECT_EQ(response->body, text) << encoding;
  }
}

TEST_F(HttpClientTest, BodiesBeyondTheLimitArePermanentErrors) {
  set_handler([](const HttpRequest& request) {
    HttpResponse response;
    response.body = std::string(5000, 'x');
    if (request.path() == "/bomb") {
      response.body = compress(std::string(1024 * 1024, '\0'), 15 + 16);  // about 1 KiB
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
    return response;
  });
  start_server();
  auto options = client_options();
  options.max_response_bytes = 4096;
  auto client = make_client(options);

  const auto large = get(client, url("/large"));
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(large.error().message(), "test client: GET " + url("/large") +
                                         ": response body exceeds 4096 bytes (max_response_bytes)");

  const auto bomb = get(client, url("/bomb"));
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(bomb.error().message(), "decoded response body exceeds 4096 bytes"))
      << bomb.error().message();

  set_handler([](const HttpRequest&) {
    HttpResponse response;
    response.body = "this is not gzip";
    response.headers.emplace_back("Content-Encoding", "gzip");
    return response;
  });
  const auto garbled = get(client, url("/garbled"));
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(garbled.error().message(), "not valid gzip")) << garbled.error().message();
}

// /old -> /new, /see-other answers 303, /temporary 307, /loop redirects to itself, /away
// leaves for the same server under another host name.
HttpResponse redirects(const HttpRequest& request, unsigned short port) {
  HttpResponse response = echo(request);
  const auto path = request.path();
  auto redirect = [&response](int status, std::string location) {
    response.status = status;
    response.headers.emplace_back("Location", std::move(location));
  };
  if (path == "/old") redirect(302, "/new");
  if (path == "/post-old") redirect(302, "new");
  if (path == "/see-other") redirect(303, "/new");
  if (path == "/temporary") redirect(307, "/new");
  if (path == "/loop") redirect(302, "/loop");
  if (path == "/away") redirect(301, "http://localhost:" + std::to_string(port) + "/new");
  if (path == "/near") redirect(308, "/new");
  return response;
}

TEST_F(HttpClientTest, RedirectsAreFollowed) {
  start_server();
  set_handler([port = port()](const HttpRequest& request) { return redirects(request, port); });
  auto client = make_client();
  const auto response = get(client, url("/old"));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /new ");
  EXPECT_EQ(response->url, url("/new"));

  // 302 and 303 turn a POST into a GET without its body; 307 repeats it as it was.
  for (const std::string path : {"/post-old", "/see-other"}) {
    const auto changed =
        send(client, make_request("POST", url(path), "payload", {{"Content-Type", "text/plain"}}));
    ASSERT_TRUE(changed.ok()) << changed.error().message();
    EXPECT_EQ(changed->body, "GET /new ") << path;
    EXPECT_EQ(seen().back().header("Content-Type"), std::nullopt) << path;
  }
  const auto kept = send(client, make_request("POST", url("/temporary"), "payload"));
  ASSERT_TRUE(kept.ok()) << kept.error().message();
  EXPECT_EQ(kept->body, "POST /new payload");
}

TEST_F(HttpClientTest, AuthorizationIsDroppedWhenARedirectLeavesTheHost) {
  start_server();
  set_handler([port = port()](const HttpRequest& request) { return redirects(request, port); });
  auto client = make_client();
  const HeaderList auth = {{"Authorization", "Bearer hunter2"}};
  ASSERT_TRUE(send(client, make_request("GET", url("/near"), "", auth)).ok());
  EXPECT_EQ(seen().back().header("Authorization"), "Bearer hunter2");  // same host: kept

  const auto response = send(client, make_request("GET", url("/away"), "", auth));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->url, url("/new", "localhost"));
  const auto requests = seen();
  ASSERT_GE(requests.size(), 2U);
  EXPECT_EQ(requests[requests.size() - 2].header("Authorization"), "Bearer hunter2");
  EXPECT_EQ(requests.back().header("Authorization"), std::nullopt);
  EXPECT_EQ(requests.back().header("Host"), "localhost:" + std::to_string(port()));
}

TEST_F(HttpClientTest, RedirectLoopIsAPermanentError) {
  start_server();
  set_handler([port = port()](const HttpRequest& request) { return redirects(request, port); });
  auto options = client_options();
  options.max_redirects = 3;
  auto client = make_client(options);
  const auto response = get(client, url("/loop"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(response.error().message(),
            "test client: GET " + url("/loop") + ": too many redirects (more than 3)");
  EXPECT_EQ(seen().size(), 4U);

  options.max_redirects = 0;  // 3xx come back as they are
  auto plain = make_client(options);
  const auto as_is = get(plain, url("/old"));
  ASSERT_TRUE(as_is.ok()) << as_is.error().message();
  EXPECT_EQ(as_is->status, 302);
  EXPECT_EQ(as_is->header("Location"), "/new");
}

TEST_F(HttpClientTest, RefusedConnectionIsRetryable) {
  auto client = make_client();
  const std::string target = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  const auto response = get(client, target);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(response.error().message(),
            "test client: GET " + target + ": connect: Connection refused");
}

TEST_F(HttpClientTest, DnsFailureIsRetryableAndNamesTheHost) {
  auto options = client_options();
  options.connect_timeout = 3s;  // a sandbox without DNS may not answer at all
  auto client = make_client(options);
  const auto response = get(client, "http://no-such-host.invalid/x");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kRetryable);
  EXPECT_TRUE(contains(response.error().message(), "DNS lookup of no-such-host.invalid"))
      << response.error().message();
}

TEST_F(HttpClientTest, InvalidUrlIsPermanent) {
  auto client = make_client();
  const auto response = get(client, "ftp://example.com/file");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(response.error().message(), "only http and https"))
      << response.error().message();
}

TEST_F(HttpClientTest, SilentServerHitsTheReadTimeout) {
  RawServer server(stay_silent);
  auto options = client_options();
  options.read_timeout = 500ms;
  auto client = make_client(options);
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
  const auto response = get(client, target);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(response.error().message(),
            "test client: GET " + target +
                ": timed out after 500 ms without response data (read_timeout)");
}

// The TLS handshake and a proxy's CONNECT answer are part of connecting.
TEST_F(HttpClientTest, SilentPeersWhileConnectingHitTheConnectTimeout) {
  RawServer server(stay_silent);
  auto options = client_options();
  options.connect_timeout = 400ms;
  auto client = make_client(options);
  const std::string tls_target = "https://127.0.0.1:" + std::to_string(server.port()) + "/x";
  const auto handshake = get(client, tls_target);
  ASSERT_FALSE(handshake.ok());
  EXPECT_EQ(handshake.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(handshake.error().message(),
            "test client: GET " + tls_target +
                ": timed out after 400 ms (connect_timeout) during the TLS handshake");

  options.proxy.https_proxy = "http://127.0.0.1:" + std::to_string(server.port());
  auto proxied = make_client(options);
  const auto tunnel = get(proxied, "https://example.com/x");
  ASSERT_FALSE(tunnel.ok());
  EXPECT_EQ(tunnel.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(tunnel.error().message(),
            "test client: GET https://example.com/x: proxy http://127.0.0.1:" +
                std::to_string(server.port()) +
                ": timed out after 400 ms (connect_timeout) during proxy CONNECT");
}

TEST_F(HttpClientTest, TotalTimeoutBoundsTheWholeRequest) {
  RawServer server(stay_silent);
  auto options = client_options();
  options.read_timeout = 60s;
  options.total_timeout = 700ms;
  auto client = make_client(options);
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port()) + "/x";
  const auto response = get(client, target);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(response.error().message(),
            "test client: GET " + target + ": timed out after 700 ms (total_timeout)");
}

// A stopping pipeline cancels its coroutines (a terminal cancellation signal bound to the
// co_spawn): the request is abandoned at once, not after its minute-long timeouts.
TEST_F(HttpClientTest, CancellationAbandonsTheRequest) {
  RawServer server(stay_silent);
  auto options = client_options();
  options.read_timeout = 60s;
  options.total_timeout = 120s;
  auto client = make_client(options);
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port()) + "/x?token=abc";
  asio::cancellation_signal cancel;  // used on the client thread only
  auto promise = std::make_shared<std::promise<Result<ClientResponse>>>();
  auto future = promise->get_future();
  asio::co_spawn(client_thread_.io(), send_into(client, make_request("GET", target), promise),
                 asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  ASSERT_TRUE(server.accepted_within(1, 5s));
  std::this_thread::sleep_for(100ms);  // the request is written and its response awaited
  client_thread_.call([&] { cancel.emit(asio::cancellation_type::terminal); });
  ASSERT_EQ(future.wait_for(kHang), std::future_status::ready) << "send() ignored cancellation";
  const auto response = future.get();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(response.error().message(),
            "test client: GET http://127.0.0.1:" + std::to_string(server.port()) +
                "/x?token=***: request cancelled");

  // The client is still usable afterwards.
  start_server();
  EXPECT_TRUE(get(client, url("/after")).ok());
}

TEST_F(HttpClientTest, SecretsInTheQueryStayOutOfErrors) {
  auto options = client_options();
  options.secret_query_params = {"account"};
  auto client = make_client(options);
  const std::string target = "http://127.0.0.1:" + std::to_string(closed_port()) +
                             "/x?api_key=SECRET1&account=SECRET2&page=2";
  const auto response = get(client, target);
  ASSERT_FALSE(response.ok());
  const std::string& message = response.error().message();
  EXPECT_FALSE(contains(message, "SECRET")) << message;
  EXPECT_TRUE(contains(message, "/x?api_key=***&account=***&page=2")) << message;

  ClientResponse failed;
  failed.status = 500;
  failed.body = "oops";
  const Status status = check_status(make_request("GET", target), failed, {"account"});
  ASSERT_FALSE(status.ok());
  EXPECT_FALSE(contains(status.error().message(), "SECRET")) << status.error().message();
}

}  // namespace
}  // namespace weft::net

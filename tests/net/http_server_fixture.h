#pragma once

// The HttpServer tests' fixture: a server on a free loopback port whose handler echoes requests,
// run by an io_context on its own threads. Shared by http_server_test.cc and
// http_server_tls_test.cc.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "net/http_test_client.h"
#include "support/server_test_helpers.h"

namespace weft::net::test_fixture {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

using test::IoThreads;
using test::LogCapture;
using test::request_text;
using test::tls_exchange;
using test::WireClient;
using test::write_self_signed_certificate;

constexpr const char* kLoopback = "127.0.0.1";

// The default handler: echoes "METHOD target body"; /bye asks to close, /boom throws, /slow
// takes `slow_delay` (flagging when it starts and ends), /retry adds Retry-After.
struct Echo {
  std::atomic<bool> slow_started{false};
  std::atomic<bool> slow_finished{false};
  std::chrono::milliseconds slow_delay{300};
  std::mutex mutex;
  std::vector<HttpRequest> seen;  // every request that reached the handler
};

inline asio::awaitable<HttpResponse> echo(Echo& state, HttpRequest& request) {
  {
    std::lock_guard lock(state.mutex);
    state.seen.push_back(request);
  }
  if (request.path() == "/boom") throw std::runtime_error("handler blew up");
  HttpResponse response;
  response.content_type = "text/plain";
  if (request.path() == "/slow") {
    state.slow_started = true;
    asio::steady_timer timer(co_await asio::this_coro::executor, state.slow_delay);
    co_await timer.async_wait(asio::use_awaitable);
    state.slow_finished = true;
  }
  response.body = request.method + " " + request.target + " " + request.body;
  if (request.path() == "/bye") response.close = true;
  if (request.path() == "/retry") {
    response.status = 429;
    response.headers.emplace_back("Retry-After", "7");
    response.headers.emplace_back("X-Bad", "a\r\nInjected: yes");
  }
  co_return std::move(response);
}

inline HttpServerOptions options() {
  HttpServerOptions out;
  out.name = "webhook";
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions opts = options(), BodyLimit body_limit = {}, int threads = 2) {
    auto server = HttpServer::start(
        io_, std::move(opts), [this](HttpRequest& request) { return echo(echo_, request); },
        std::move(body_limit));
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

  // Waits until the server counts `n` open connections; false after 5 s.
  bool open_connections_reach(std::size_t n) {
    const auto deadline = Clock::now() + 5s;
    while (server_->open_connections() != n) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  asio::io_context io_;
  Echo echo_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<IoThreads> threads_;
};

}  // namespace weft::net::test_fixture

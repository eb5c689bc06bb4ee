#pragma once

// The HttpClient tests' fixture: weft's own HttpServer (plain or TLS) on a free loopback port
// answering with a handler each test may replace, the client on an io_context with a thread of
// its own (as a pipeline runs it), and a raw TCP server for peers that misbehave.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <zlib.h>

#include <atomic>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.h"
#include "net/http_server.h"
#include "net/http_test_client.h"
#include "support/server_test_helpers.h"
#include "support/temp_dir.h"

namespace weft::net::client_test {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Beyond this, a call that should have returned counts as hung. Generous: the tests assert on
// outcomes, not on durations.
constexpr auto kHang = std::chrono::seconds(20);

// An io_context run by one thread until stop(): the client's executor, as in a pipeline.
class ClientThread {
 public:
  ClientThread() : thread_([this] { io_.run(); }) {}
  ~ClientThread() { stop(); }

  asio::io_context& io() { return io_; }

  // Runs `fn` on the thread and waits for it.
  void call(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void stop() {
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::thread thread_;
};

inline asio::awaitable<void> send_into(std::shared_ptr<HttpClient> client, ClientRequest request,
                                       std::shared_ptr<std::promise<Result<ClientResponse>>> out) {
  auto result = co_await client->send(std::move(request));
  out->set_value(std::move(result));
}

// A TCP server on 127.0.0.1 that hands each accepted connection to `serve` on a thread of its
// own (blocking I/O), and closes the connection when `serve` returns.
class RawServer {
 public:
  using Serve = std::function<void(tcp::socket&)>;

  explicit RawServer(Serve serve)
      : serve_(std::move(serve)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        port_(acceptor_.local_endpoint().port()),
        accept_thread_([this] { accept_loop(); }) {}

  ~RawServer() {
    stopping_ = true;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocked accept()
    accept_thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (auto& socket : sockets_) {
        if (socket->is_open()) ::shutdown(socket->native_handle(), SHUT_RDWR);
      }
    }
    for (auto& thread : threads_) thread.join();
  }

  unsigned short port() const { return port_; }
  int accepted() const { return accepted_; }

  bool accepted_within(int n, std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    while (accepted_ < n) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  // Reads one request (head, and a Content-Length body) into `pending`'s front; returns its
  // head, or "" when the peer closed first.
  static std::string read_request(tcp::socket& socket, std::string& pending) {
    boost::system::error_code ec;
    const auto n = asio::read_until(socket, asio::dynamic_buffer(pending), "\r\n\r\n", ec);
    if (ec) return {};
    std::string head = pending.substr(0, n);
    pending.erase(0, n);
    const auto at = head.find("Content-Length: ");
    if (at != std::string::npos) {
      const std::size_t length = std::stoul(head.substr(at + 16));
      if (pending.size() < length) {
        const std::size_t have = pending.size();
        pending.resize(length);
        asio::read(socket, asio::buffer(pending.data() + have, length - have), ec);
        if (ec) return {};
      }
      pending.erase(0, length);
    }
    return head;
  }

  static void write(tcp::socket& socket, const std::string& text) {
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(text), ec);
  }

 private:
  void accept_loop() {
    while (true) {
      auto socket = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) return;
      ++accepted_;
      std::lock_guard lock(mutex_);
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket] {
        serve_(*socket);
        std::lock_guard inner(mutex_);
        boost::system::error_code ignored;
        socket->close(ignored);
      });
    }
  }

  Serve serve_;
  asio::io_context io_;  // never run: blocking calls only
  tcp::acceptor acceptor_;
  unsigned short port_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;  // last: starts once everything above exists
};

// Reads until the peer closes; never answers.
inline void stay_silent(tcp::socket& socket) {
  char scratch[4096];
  boost::system::error_code ec;
  while (!ec) socket.read_some(asio::buffer(scratch), ec);
}

// `text` compressed: window_bits 15 + 16 gives gzip, 15 zlib ("deflate"), -15 raw deflate.
inline std::string compress(std::string_view text, int window_bits) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, text.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline ClientRequest make_request(std::string method, std::string url, std::string body = "",
                                  HeaderList headers = {}) {
  ClientRequest out;
  out.method = std::move(method);
  out.url = std::move(url);
  out.body = std::move(body);
  out.headers = std::move(headers);
  return out;
}

// A loopback port nothing listens on (bound, then released).
inline unsigned short closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// "METHOD target body", 200, text/plain: the server's default answer.
inline HttpResponse echo(const HttpRequest& request) {
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = request.method + " " + request.target + " " + request.body;
  return response;
}

class HttpClientTest : public ::testing::Test {
 protected:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // What the server's handler shares with the test: every request it saw, and the answer.
  struct ServerState {
    std::mutex mutex;
    std::vector<HttpRequest> seen;
    Handler handler;
  };

  // Records the request and answers with the handler; /slow... takes 200 ms first, so that
  // requests overlap.
  static asio::awaitable<HttpResponse> answer(std::shared_ptr<ServerState> state,
                                              HttpRequest& request) {
    Handler handler;
    {
      std::lock_guard lock(state->mutex);
      state->seen.push_back(request);
      handler = state->handler;
    }
    if (request.path().starts_with("/slow")) {
      asio::steady_timer timer(co_await asio::this_coro::executor, 200ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return handler(request);
  }

  void TearDown() override {
    client_thread_.call([this] { clients_.clear(); });
    client_thread_.stop();
    if (server_) server_->stop();
    if (server_threads_) {
      EXPECT_TRUE(server_threads_->exited_within(5s)) << "the server's io_context did not stop";
    }
    server_threads_.reset();
  }

  // Answers every request with `handler` (default: echo).
  void set_handler(Handler handler) {
    std::lock_guard lock(state_->mutex);
    state_->handler = std::move(handler);
  }

  void start_server(HttpServerOptions options = {}) {
    options.name = "test server";
    auto server = HttpServer::start(
        server_io_, std::move(options),
        [state = state_](HttpRequest& request) { return answer(state, request); });
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server).value();
    server_threads_ = std::make_unique<test::IoThreads>(server_io_, 1);
  }

  // Starts the server with TLS, its certificate self-signed for "localhost" (not 127.0.0.1).
  void start_tls_server(HttpServerOptions options = {}) {
    ASSERT_TRUE(test::write_self_signed_certificate(cert_file_, key_file_));
    options.tls_cert_file = cert_file_;
    options.tls_key_file = key_file_;
    tls_ = true;
    start_server(std::move(options));
  }

  unsigned short port() const { return server_->port(); }

  std::string url(const std::string& target, const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(port()) +
           target;
  }

  // Short timeouts so that a broken test fails instead of hanging; no proxy from the
  // environment of whoever runs the tests.
  static HttpClientOptions client_options() {
    HttpClientOptions options;
    options.name = "test client";
    options.connect_timeout = 5s;
    options.read_timeout = 5s;
    options.total_timeout = 15s;
    options.proxy = ProxySettings{};
    return options;
  }

  // A client on the client thread; the fixture destroys it there after the test.
  std::shared_ptr<HttpClient> make_client(HttpClientOptions options = client_options()) {
    auto client = HttpClient::create(client_thread_.io().get_executor(), std::move(options), {});
    EXPECT_TRUE(client.ok()) << client.error().message();
    if (!client.ok()) return nullptr;
    clients_.push_back(*client);
    return *client;
  }

  // Sends on the client thread and waits; a hang is reported as a permanent "test:" error.
  Result<ClientResponse> send(const std::shared_ptr<HttpClient>& client, ClientRequest request) {
    auto future = start_send(client, std::move(request));
    if (future.wait_for(kHang) != std::future_status::ready) {
      return Error::permanent("test: send() did not return");
    }
    return future.get();
  }

  // Starts `request` on the client thread without waiting for it.
  std::future<Result<ClientResponse>> start_send(const std::shared_ptr<HttpClient>& client,
                                                 ClientRequest request) {
    auto promise = std::make_shared<std::promise<Result<ClientResponse>>>();
    auto future = promise->get_future();
    asio::co_spawn(client_thread_.io(), send_into(client, std::move(request), promise),
                   asio::detached);
    return future;
  }

  Result<ClientResponse> get(const std::shared_ptr<HttpClient>& client, const std::string& url) {
    return send(client, make_request("GET", url));
  }

  std::vector<HttpRequest> seen() const {
    std::lock_guard lock(state_->mutex);
    return state_->seen;
  }

  // The client ports the server saw requests from: one per connection.
  std::set<std::string> remotes() const {
    std::set<std::string> out;
    for (const auto& request : seen()) out.insert(request.remote);
    return out;
  }

  bool open_connections_reach(std::size_t n) const {
    const auto deadline = Clock::now() + 5s;
    while (server_->open_connections() != n) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  test::TempDir dir_;
  std::string cert_file_ = dir_.file("cert.pem");
  std::string key_file_ = dir_.file("key.pem");
  std::shared_ptr<ServerState> state_ = [] {
    auto state = std::make_shared<ServerState>();
    state->handler = echo;
    return state;
  }();
  bool tls_ = false;
  asio::io_context server_io_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<test::IoThreads> server_threads_;
  ClientThread client_thread_;
  std::vector<std::shared_ptr<HttpClient>> clients_;  // touched on the client thread at the end
};

}  // namespace weft::net::client_test

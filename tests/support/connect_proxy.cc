#include "support/connect_proxy.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

namespace weft::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, in.size() - i);
    unsigned value = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      value = value << 8 | (j < n ? static_cast<unsigned char>(in[i + j]) : 0U);
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out += j <= n ? kAlphabet[(value >> (18 - 6 * j)) & 0x3F] : '=';
    }
  }
  return out;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A request head: its first line and header fields.
struct Head {
  std::string line;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> fields;

  std::string field(std::string_view name) const {
    for (const auto& [key, value] : fields) {
      if (iequal(key, name)) return value;
    }
    return {};
  }
};

Head parse_head(std::string_view text) {
  Head head;
  auto eol = text.find("\r\n");
  head.line = std::string(text.substr(0, eol));
  const auto space = head.line.find(' ');
  head.method = head.line.substr(0, space);
  head.target = head.line.substr(space + 1, head.line.rfind(' ') - space - 1);
  text.remove_prefix(eol + 2);
  while ((eol = text.find("\r\n")) != std::string_view::npos && eol > 0) {
    const std::string_view field = text.substr(0, eol);
    const auto colon = field.find(':');
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    head.fields.emplace_back(std::string(field.substr(0, colon)), std::string(value));
    text.remove_prefix(eol + 2);
  }
  return head;
}

// "host:port" -> host and port (80 when absent).
std::pair<std::string, std::string> split_authority(std::string_view authority) {
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) return {std::string(authority), "80"};
  return {std::string(authority.substr(0, colon)), std::string(authority.substr(colon + 1))};
}

asio::awaitable<bool> connect_to(tcp::socket& socket, const std::string& host,
                                 const std::string& port) {
  tcp::resolver resolver(socket.get_executor());
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(host, port, kAwait);
  if (resolve_ec) co_return false;
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kAwait);
  co_return !connect_ec;
}

// Copies bytes from one socket to the other until either side ends, then stops sending on
// `to` so that its peer sees the end too.
asio::awaitable<void> pipe(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  std::array<char, 16 * 1024> chunk{};
  while (true) {
    auto [read_ec, n] = co_await from->async_read_some(asio::buffer(chunk), kAwait);
    if (read_ec) break;
    auto [write_ec, written] =
        co_await asio::async_write(*to, asio::buffer(chunk.data(), n), kAwait);
    if (write_ec) break;
  }
  error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> reply(tcp::socket& socket, std::string text) {
  co_await asio::async_write(socket, asio::buffer(text), kAwait);
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

// What the proxy's coroutines share; ConnectProxy::Impl is this, under a name they can use.
namespace connect_proxy_internal {
struct ProxyState {
  std::string expected_authorization;  // "Basic ..." or empty
  mutable std::mutex mutex;
  int tunnels = 0;
  int forwarded = 0;
  int refused = 0;
  std::vector<std::string> lines;
  unsigned short port = 0;
  asio::io_context io;  // after what its coroutines use: destroyed first
  tcp::acceptor acceptor{io};
  std::thread thread;

  void count(int ProxyState::*counter) {
    std::lock_guard lock(mutex);
    ++(this->*counter);
  }
};
}  // namespace connect_proxy_internal

struct ConnectProxy::Impl : connect_proxy_internal::ProxyState {};

namespace {

using connect_proxy_internal::ProxyState;

asio::awaitable<void> tunnel(ProxyState& proxy, tcp::socket client, const Head& head,
                             std::string early) {
  const auto [host, port] = split_authority(head.target);
  tcp::socket upstream(client.get_executor());
  const bool connected = co_await connect_to(upstream, host, port);
  if (!connected) {
    co_await reply(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    co_return;
  }
  proxy.count(&ProxyState::tunnels);
  auto [ec, n] = co_await asio::async_write(
      client, asio::buffer(std::string_view("HTTP/1.1 200 Connection established\r\n\r\n")),
      kAwait);
  if (ec) co_return;
  if (!early.empty()) co_await asio::async_write(upstream, asio::buffer(early), kAwait);
  auto a = std::make_shared<tcp::socket>(std::move(client));
  auto b = std::make_shared<tcp::socket>(std::move(upstream));
  asio::co_spawn(a->get_executor(), pipe(a, b), asio::detached);
  co_await pipe(b, a);
}

asio::awaitable<void> forward(ProxyState& proxy, tcp::socket client, const Head& head,
                              std::string body) {
  std::string_view target = head.target;
  target.remove_prefix(std::string_view("http://").size());
  const auto slash = target.find('/');
  const std::string path =
      slash == std::string_view::npos ? "/" : std::string(target.substr(slash));
  const auto [host, port] = split_authority(target.substr(0, slash));
  const std::string length = head.field("Content-Length");
  const std::size_t want = length.empty() ? 0 : std::stoul(length);
  if (body.size() < want) {
    const std::size_t have = body.size();
    body.resize(want);
    auto [ec, n] =
        co_await asio::async_read(client, asio::buffer(body.data() + have, want - have), kAwait);
    if (ec) co_return;
  }
  tcp::socket upstream(client.get_executor());
  const bool connected = co_await connect_to(upstream, host, port);
  if (!connected) {
    co_await reply(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    co_return;
  }
  std::string request = head.method + " " + path + " HTTP/1.1\r\n";
  for (const auto& [name, value] : head.fields) {
    if (iequal(name, "Proxy-Authorization") || iequal(name, "Proxy-Connection") ||
        iequal(name, "Connection") || iequal(name, "Keep-Alive")) {
      continue;
    }
    request += name + ": " + value + "\r\n";
  }
  request += "Connection: close\r\n\r\n" + body;
  auto [ec, n] = co_await asio::async_write(upstream, asio::buffer(request), kAwait);
  if (ec) co_return;
  proxy.count(&ProxyState::forwarded);
  co_await pipe(std::make_shared<tcp::socket>(std::move(upstream)),
                std::make_shared<tcp::socket>(std::move(client)));
}

asio::awaitable<void> serve(ProxyState& proxy, tcp::socket client) {
  std::string data;
  auto [ec, n] =
      co_await asio::async_read_until(client, asio::dynamic_buffer(data), "\r\n\r\n", kAwait);
  if (ec) co_return;
  const Head head = parse_head(std::string_view(data).substr(0, n));
  std::string rest = data.substr(n);
  {
    std::lock_guard lock(proxy.mutex);
    proxy.lines.push_back(head.line);
  }
  if (!proxy.expected_authorization.empty() &&
      head.field("Proxy-Authorization") != proxy.expected_authorization) {
    proxy.count(&ProxyState::refused);
    co_await reply(client,
                   "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                   "realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    co_return;
  }
  if (head.method == "CONNECT") {
    co_await tunnel(proxy, std::move(client), head, std::move(rest));
  } else if (head.target.starts_with("http://")) {
    co_await forward(proxy, std::move(client), head, std::move(rest));
  } else {
    co_await reply(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  }
}

asio::awaitable<void> accept_loop(ProxyState& proxy) {
  while (true) {
    auto [ec, socket] = co_await proxy.acceptor.async_accept(kAwait);
    if (ec) co_return;
    asio::co_spawn(proxy.io, serve(proxy, std::move(socket)), asio::detached);
  }
}

}  // namespace

ConnectProxy::ConnectProxy(std::string credentials) : impl_(std::make_unique<Impl>()) {
  if (!credentials.empty()) impl_->expected_authorization = "Basic " + base64(credentials);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, accept_loop(*impl_), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

ConnectProxy::~ConnectProxy() {
  impl_->io.stop();
  impl_->thread.join();
}

unsigned short ConnectProxy::port() const { return impl_->port; }

std::string ConnectProxy::url(const std::string& userinfo) const {
  return "http://" + (userinfo.empty() ? std::string() : userinfo + "@") +
         "127.0.0.1:" + std::to_string(port());
}

int ConnectProxy::tunnels() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->tunnels;
}

int ConnectProxy::forwarded() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->forwarded;
}

int ConnectProxy::refused() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->refused;
}

std::vector<std::string> ConnectProxy::request_lines() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->lines;
}

}  // namespace weft::test

#include "net/http_connection.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <utility>

namespace weft::net::client_internal {
namespace {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// A response header beyond this is refused; generous, since some APIs send long link headers.
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;

std::string ms_text(std::chrono::milliseconds value) {
  return std::to_string(value.count()) + " ms";
}

Error connect_timeout(std::chrono::milliseconds timeout, const std::string& step) {
  return Error::retryable("timed out after " + ms_text(timeout) + " (connect_timeout) during " +
                          step);
}

Error abandoned() { return Error::cancelled("request abandoned"); }

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The connection died under us, as opposed to the peer answering something wrong.
bool is_connection_loss(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::not_connected || ec == ssl::error::stream_truncated;
}

struct Resolution {
  explicit Resolution(const asio::any_io_executor& executor) : resolver(executor) {}
  tcp::resolver resolver;
  std::optional<error_code> ec;  // set when the lookup finished
  tcp::resolver::results_type results;
};

// Resolves host:port by the deadline. The wait is on a timer rather than on the lookup itself:
// cancelling a resolver does not interrupt a getaddrinfo() already running, and a hung DNS
// server must not hold the request past its connect timeout or its cancellation.
asio::awaitable<Result<tcp::resolver::results_type>> resolve(InFlight& inflight, const Url& peer,
                                                             Clock::time_point deadline,
                                                             std::chrono::milliseconds timeout) {
  const auto executor = co_await asio::this_coro::executor;
  auto state = std::make_shared<Resolution>(executor);
  auto wait = std::make_shared<asio::steady_timer>(executor, deadline);
  inflight.resolve_wait = wait;
  state->resolver.async_resolve(
      peer.host, std::to_string(peer.port),
      [state, wait](const error_code& ec, tcp::resolver::results_type results) {
        state->ec = ec;
        state->results = std::move(results);
        wait->cancel();
      });
  co_await wait->async_wait(kAwait);
  inflight.resolve_wait.reset();
  if (inflight.aborted) co_return abandoned();
  if (!state->ec) {
    state->resolver.cancel();  // the answer is no longer wanted
    co_return connect_timeout(timeout, "DNS lookup of " + peer.host);
  }
  if (*state->ec) {
    co_return Error::retryable("DNS lookup of " + peer.host + " failed: " + state->ec->message());
  }
  co_return std::move(state->results);
}

// Asks the proxy for a tunnel to the origin (RFC 9110 §9.3.6). The reply is read header only:
// a 2xx CONNECT answer has no body, whatever its headers say.
asio::awaitable<Status> open_tunnel(Connection& connection, const Route& route,
                                    std::chrono::milliseconds timeout) {
  const std::string authority = route.origin.authority();
  std::string text = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (!route.proxy->authorization.empty()) {
    text += "Proxy-Authorization: " + route.proxy->authorization + "\r\n";
  }
  text += "\r\n";
  auto& stream = connection.tcp();
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(text), kAwait);
  if (write_ec == beast::error::timeout) co_return connect_timeout(timeout, "proxy CONNECT");
  if (write_ec) co_return Error::retryable("proxy CONNECT: " + write_ec.message());
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  beast::flat_buffer buffer;
  auto [read_ec, read] = co_await http::async_read_header(stream, buffer, parser, kAwait);
  if (read_ec == beast::error::timeout) co_return connect_timeout(timeout, "proxy CONNECT");
  if (read_ec) co_return Error::retryable("proxy CONNECT: " + read_ec.message());
  const auto& reply = parser.get();
  const int status = reply.result_int();
  if (status < 200 || status > 299) {
    std::string message = "CONNECT " + authority + " refused: HTTP " + std::to_string(status) +
                          " " + std::string(reply.reason());
    // A proxy that cannot reach the origin (502, 503, 504) may manage later; 403 or 407 will not.
    if (status >= 500) co_return Error::retryable(std::move(message));
    co_return Error::permanent(std::move(message));
  }
  if (buffer.size() != 0) {
    co_return Error::permanent("proxy sent data after its CONNECT answer, before TLS began");
  }
  co_return Status::ok_status();
}

// TLS with SNI (for names; RFC 6066 forbids it for IP literals) and, unless turned off, the
// certificate checked against the trusted CAs and the origin's host name or IP address.
asio::awaitable<Status> handshake(beast::ssl_stream<beast::tcp_stream>& stream,
                                  const std::string& host, const ConnectSettings& settings) {
  SSL* ssl = stream.native_handle();
  const bool ip = is_ip_address(host);
  if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    co_return Error::permanent("TLS: cannot use '" + host + "' as the server name");
  }
  if (settings.verify_tls) {
    const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str())
                       : SSL_set1_host(ssl, host.c_str());
    if (set != 1) co_return Error::permanent("TLS: cannot verify a certificate for '" + host + "'");
  }
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kAwait);
  if (!ec) co_return Status::ok_status();
  if (ec == beast::error::timeout) co_return connect_timeout(settings.timeout, "the TLS handshake");
  const long verify = SSL_get_verify_result(ssl);
  if (settings.verify_tls && verify != X509_V_OK) {
    std::string message = "TLS certificate verification failed: ";
    message += X509_verify_cert_error_string(verify);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      message += " (the certificate is not valid for " + host + ")";
    }
    co_return Error::permanent(std::move(message));
  }
  // An alert or a protocol mismatch (a plain HTTP port, no common cipher) repeats on every try;
  // a reset or truncation during the handshake may not.
  if (ec.category() == asio::error::get_ssl_category()) {
    co_return Error::permanent("TLS handshake failed: " + ec.message());
  }
  co_return Error::retryable("TLS handshake failed: " + ec.message());
}

Error read_error(const error_code& ec, bool got_some, const ExchangeSettings& settings) {
  if (ec == beast::error::timeout) {
    return Error::retryable("timed out after " + ms_text(settings.read_timeout) +
                            " without response data (read_timeout)");
  }
  if (ec == http::error::body_limit) {
    return Error::permanent("response body exceeds " + std::to_string(settings.max_body_bytes) +
                            " bytes (max_response_bytes)");
  }
  if (ec == http::error::header_limit) {
    return Error::permanent("response header exceeds " + std::to_string(kMaxHeaderBytes / 1024) +
                            " KiB");
  }
  if (ec == asio::error::operation_aborted) return abandoned();
  if (is_connection_loss(ec) || ec == http::error::partial_message) {
    return Error::retryable(got_some ? "connection closed before the response was complete"
                                     : "connection closed before a response arrived");
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return Error::permanent("malformed HTTP response: " + ec.message());
  }
  return Error::retryable("reading the response: " + ec.message());
}

template <class Stream>
asio::awaitable<error_code> write_request(Stream& stream, Request& request) {
  auto [ec, n] = co_await http::async_write(stream, request, kAwait);
  co_return ec;
}

template <class Stream>
asio::awaitable<error_code> read_some(Stream& stream, beast::flat_buffer& buffer,
                                      http::response_parser<http::string_body>& parser) {
  auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kAwait);
  co_return ec;
}

}  // namespace

// Beast reads only as much as the buffer has room for: without room reserved up front, a 24 KB
// page arrives in dozens of 512-byte reads, each a trip through epoll.
constexpr std::size_t kReadBufferBytes = 64 * 1024;

Connection::Connection(const asio::any_io_executor& executor, asio::ssl::context* tls) {
  buffer_.reserve(kReadBufferBytes);
  if (tls != nullptr) {
    tls_.emplace(executor, *tls);
  } else {
    plain_.emplace(executor);
  }
}

beast::tcp_stream& Connection::tcp() {
  if (tls_) return beast::get_lowest_layer(*tls_);
  return *plain_;
}

void Connection::close() {
  auto& stream = tcp();
  if (stream.socket().is_open()) stream.close();
}

bool Connection::reusable() {
  auto& socket = tcp().socket();
  if (!socket.is_open() || buffer_.size() != 0) return false;
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void InFlight::abort() {
  aborted = true;
  if (connection) connection->close();
  if (resolve_wait) resolve_wait->cancel();
}

asio::awaitable<Result<std::shared_ptr<Connection>>> open_connection(InFlight& inflight,
                                                                     const Route& route,
                                                                     asio::ssl::context& tls,
                                                                     ConnectSettings settings) {
  const auto deadline = Clock::now() + settings.timeout;
  const Url& peer = route.proxy != nullptr ? route.proxy->url : route.origin;
  const std::string proxy_context =
      route.proxy != nullptr ? "proxy " + route.proxy->display : std::string();
  auto resolved = co_await resolve(inflight, peer, deadline, settings.timeout);
  if (!resolved) {
    Error error = resolved.error();
    if (!proxy_context.empty()) error.with_context(proxy_context);
    co_return std::move(error);
  }
  const auto executor = co_await asio::this_coro::executor;
  auto connection =
      std::make_shared<Connection>(executor, route.origin.scheme == "https" ? &tls : nullptr);
  inflight.connection = connection;
  auto& stream = connection->tcp();
  stream.expires_at(deadline);
  auto [ec, endpoint] = co_await stream.async_connect(*resolved, kAwait);
  if (inflight.aborted) co_return abandoned();
  if (ec) {
    Error error = ec == beast::error::timeout ? connect_timeout(settings.timeout, "TCP connect")
                                              : Error::retryable("connect: " + ec.message());
    if (!proxy_context.empty()) error.with_context(proxy_context);
    co_return std::move(error);
  }
  error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  if (route.tunnelled()) {
    Status tunnel = co_await open_tunnel(*connection, route, settings.timeout);
    if (inflight.aborted) co_return abandoned();
    if (!tunnel) {
      Error error = tunnel.error();
      co_return std::move(error.with_context(proxy_context));
    }
  }
  if (auto* tls_stream = connection->tls()) {
    Status secured = co_await handshake(*tls_stream, route.origin.host, settings);
    if (inflight.aborted) co_return abandoned();
    if (!secured) co_return secured.error();
  }
  stream.expires_never();
  co_return std::move(connection);
}

asio::awaitable<Exchanged> exchange(Connection& connection, Request& request,
                                    ExchangeSettings settings) {
  Exchanged out;
  auto& stream = connection.tcp();
  auto* tls = connection.tls();
  stream.expires_after(settings.read_timeout);
  error_code ec;
  if (tls != nullptr) {
    ec = co_await write_request(*tls, request);
  } else {
    ec = co_await write_request(stream, request);
  }
  if (ec) {
    out.send_failed = true;
    out.connection_lost = is_connection_loss(ec);
    if (ec == beast::error::timeout) {
      out.error = Error::retryable("timed out after " + ms_text(settings.read_timeout) +
                                   " sending the request (read_timeout)");
    } else if (ec == asio::error::operation_aborted) {
      out.error = abandoned();
    } else {
      out.error = Error::retryable("sending the request: " + ec.message());
    }
    co_return std::move(out);
  }
  bool got_some = false;  // across interim responses too: the server has seen the request
  while (true) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(settings.max_body_bytes);
    if (settings.head_request) parser.skip(true);
    while (!parser.is_done()) {
      stream.expires_after(settings.read_timeout);
      if (tls != nullptr) {
        ec = co_await read_some(*tls, connection.buffer(), parser);
      } else {
        ec = co_await read_some(stream, connection.buffer(), parser);
      }
      got_some = got_some || parser.got_some();
      if (ec) {
        out.connection_lost = !got_some && is_connection_loss(ec);
        out.error = read_error(ec, got_some, settings);
        co_return std::move(out);
      }
    }
    auto& message = parser.get();
    out.status = message.result_int();
    if (out.status >= 100 && out.status < 200 && out.status != 101) continue;  // e.g. 103
    stream.expires_never();
    for (const auto& field : message) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.keep_alive = parser.keep_alive();
    out.body = std::move(message.body());
    co_return std::move(out);
  }
}

}  // namespace weft::net::client_internal

#pragma once

// The HTTP client's connections: opening one (DNS, TCP, a proxy's CONNECT tunnel, TLS with
// certificate and host name checks) and exchanging one request and response on it. Internal to
// the client (Beast is in this header); errors here carry no method or URL, the client adds them.
//
// Threading: everything here runs on the client's executor; nothing is thread-safe.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "net/http_client.h"
#include "net/url.h"
#include "weft/status.h"

namespace weft::net::client_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using Request = http::request<http::string_body>;

// An http:// proxy as configured, parsed once when the client is created.
struct ProxyEndpoint {
  Url url;                    // where to connect
  std::string authorization;  // "Basic ..." from the URL's userinfo, or empty
  std::string display;        // the URL without credentials, for messages
};

// Where a request's connection goes. Connections are pooled per key: same origin, same proxy.
struct Route {
  Url origin;  // the request URL (its scheme, host and port are what matter here)
  const ProxyEndpoint* proxy = nullptr;  // null: direct; points into the client's settings
  std::string key;

  bool tunnelled() const { return proxy != nullptr && origin.scheme == "https"; }
  bool absolute_form() const { return proxy != nullptr && origin.scheme == "http"; }
};

// One client connection, plain or TLS. Owned through shared_ptr by the request using it or by
// the pool; close() may be called at any time (a cancelled request closes it to stop its I/O).
class Connection {
 public:
  // `tls` null: plain TCP. The context must outlive the connection.
  Connection(const asio::any_io_executor& executor, asio::ssl::context* tls);

  beast::tcp_stream& tcp();
  beast::ssl_stream<beast::tcp_stream>* tls() { return tls_ ? &*tls_ : nullptr; }
  beast::flat_buffer& buffer() { return buffer_; }

  // Closes the socket; pending operations end with operation_aborted. Idempotent.
  void close();
  // Whether an idle connection can carry another request: still open, the peer has neither
  // closed it nor sent anything unasked (a server that closes idle connections sends FIN, or a
  // TLS close_notify).
  bool reusable();

  std::chrono::steady_clock::time_point idle_since;  // set by the pool

 private:
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

// What one request in progress has open, so that send() can stop it at once when the caller
// is cancelled or the total timeout passes.
struct InFlight {
  bool aborted = false;
  std::shared_ptr<Connection> connection;            // while connecting or exchanging
  std::shared_ptr<asio::steady_timer> resolve_wait;  // while resolving

  // Marks the request abandoned, closes its connection and stops its DNS wait.
  void abort();
};

struct ConnectSettings {
  std::chrono::milliseconds timeout;  // DNS + TCP + CONNECT + TLS handshake together
  bool verify_tls = true;
};

// Opens a connection for `route`: to the proxy if there is one (through a CONNECT tunnel for
// https), TLS with SNI and host name verification for https origins. Errors: DNS failures,
// refusals, resets and the timeout are retryable; certificate failures, TLS protocol errors and
// a proxy refusing with 4xx are permanent; cancelled when `inflight` was aborted.
asio::awaitable<Result<std::shared_ptr<Connection>>> open_connection(InFlight& inflight,
                                                                     const Route& route,
                                                                     asio::ssl::context& tls,
                                                                     ConnectSettings settings);

struct ExchangeSettings {
  std::chrono::milliseconds read_timeout;  // the longest silence while sending or receiving
  std::size_t max_body_bytes = 0;
  bool head_request = false;  // a HEAD response has no body whatever its Content-Length says
};

// The outcome of one request on one connection.
struct Exchanged {
  std::optional<Error> error;
  // The connection turned out dead before any of the response arrived: sending failed, or the
  // peer closed or reset it without a byte. On a pooled connection this is the server having
  // closed it while idle, so the request can be sent again on a fresh one.
  bool connection_lost = false;
  bool send_failed = false;  // the request was not (completely) sent
  int status = 0;
  HeaderList headers;
  std::string body;  // as received (still compressed)
  bool keep_alive = false;
};

// Sends `request` and reads its response (skipping 1xx interim responses).
asio::awaitable<Exchanged> exchange(Connection& connection, Request& request,
                                    ExchangeSettings settings);

}  // namespace weft::net::client_internal

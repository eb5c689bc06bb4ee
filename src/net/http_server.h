#pragma once

// A generic HTTP/1.1 server (optionally over TLS) for weft's listeners: keep-alive, Expect:
// 100-continue, per-route body limits, a whole-request read timeout against slow clients, and a
// cap on open connections. The handler decides what each request gets back. Beast stays in the
// .cc files; this header only needs Asio's awaitable.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/status.h"

namespace boost::asio {
class io_context;
}

namespace weft::net {

struct HttpRequest {
  std::string method;  // "POST"
  std::string target;  // path and query as received: "/webhooks/stripe?x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order, names as sent
  std::string body;
  std::string remote;  // peer "ip:port" ("[::1]:port" for IPv6)

  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string_view> header(std::string_view name) const;
  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', empty if none
  // The value of one query parameter, percent-decoded ('+' is a space); nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers, e.g. Retry-After. One with CR, LF or NUL in it, or naming Content-Length,
  // Transfer-Encoding or Connection (the server's), is dropped and logged. A Cache-Control here
  // replaces the default "no-store".
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this response
};

struct HttpServerOptions {
  std::string name = "http";           // for log lines and errors: "webhook: ..."
  std::string listen = "127.0.0.1:0";  // host:port (see net/listen_address.h); port 0 = free port
  // PEM certificate chain and private key; both set enables TLS (both or neither).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Beyond this, a new connection gets 503 + Retry-After: 1 and is closed (and once as many are
  // being turned away, further ones are closed at once).
  std::size_t max_connections = 1024;
  // The whole request (header and body; for TLS also the handshake) must arrive within this: the
  // slow-loris bound. Writing a response is bounded by it too.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connection idle between requests
  std::size_t max_header_bytes = 16 * 1024;       // beyond: 431
  std::size_t max_body_bytes = 1024 * 1024;       // default body limit, beyond: 413
};

// The handler answers one request. It runs on the connection's strand; it may co_await (e.g. a
// durable write). An exception escaping it is logged and answered with 500.
using HttpHandler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest&)>;

// Called after the request header has arrived and before the body is read: the body limit for
// this method and target (0 = the server default). Lets each route have its own limit; must be
// cheap and thread-safe.
using BodyLimit = std::function<std::size_t(std::string_view method, std::string_view target)>;

class HttpServer {
 public:
  // Binds and listens before returning ("address in use" is reported at start-up), then accepts
  // on `io`. TLS files are loaded here: a missing, unreadable or invalid certificate or key fails
  // with an invalid_config Error naming the file. Errors name the option, e.g. "webhook listen
  // 127.0.0.1:8080: address already in use". The handler and body limit are kept (and may be
  // called) until every connection coroutine has ended, i.e. until `io` runs out of this
  // server's work after stop().
  static Result<std::unique_ptr<HttpServer>> start(boost::asio::io_context& io,
                                                   HttpServerOptions options, HttpHandler handler,
                                                   BodyLimit body_limit = {});

  virtual ~HttpServer() = default;  // the implementation's destructor calls stop()

  virtual unsigned short port() const = 0;  // the bound port, also after stop()
  // Connections being served (not counting those being turned away with 503). Thread-safe.
  virtual std::size_t open_connections() const = 0;

  // Stops accepting, closes idle connections and lets a request whose handler is running finish
  // (its response may be dropped if the connection closes). Safe from any thread, more than once;
  // does not block.
  virtual void stop() = 0;
};

}  // namespace weft::net

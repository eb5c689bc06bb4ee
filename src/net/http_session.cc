// The connection side of HttpServer: one coroutine per connection, on its own strand, reading
// requests with Beast's parser and writing responses serialized by hand into a per-connection
// buffer (this is the webhook hot path, and an HttpResponse maps onto a few header lines).
#include "net/http_session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <type_traits>

#include "common/exception_text.h"
#include "common/text.h"

namespace weft::net::http_internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// After rejecting a request we read (and drop) what the client is still sending for a moment, so
// that closing does not reset the connection before the client has read the error response. One
// deadline for the whole linger: a rejected client must not be able to stretch it.
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
constexpr std::chrono::seconds kLingerTimeout{1};
// After a deadline passes the watchdog cancels again this often until the session reacts: the
// operation it cancelled may have completed just before, and a composed read started another.
constexpr std::chrono::milliseconds kRecancel{50};
constexpr std::size_t kIdleReadBytes = 16 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// 1048576 -> "1 MiB", 16384 -> "16 KiB", 1000 -> "1000 bytes".
std::string readable_size(std::size_t bytes) {
  constexpr std::size_t kKiB = 1024;
  if (bytes >= kKiB * kKiB && bytes % (kKiB * kKiB) == 0) {
    return std::to_string(bytes / (kKiB * kKiB)) + " MiB";
  }
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

HttpResponse json_error(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.body = R"({"error":")" + message + R"("})";
  response.close = true;
  return response;
}

}  // namespace

// Bounds a connection's socket operations in time. The session sets a deadline before each phase
// (idle, request, response); when it passes, the socket's pending operations are cancelled and
// timed_out() says why. Moving a deadline later costs no timer operation: the timer wakes at the
// earlier time and re-arms, so a busy keep-alive connection touches the timer about once per
// timeout instead of twice per request. Used only on the connection's strand.
class Watchdog {
 public:
  explicit Watchdog(tcp::socket& socket) : socket_(socket), timer_(socket.get_executor()) {}

  // Whatever owns this object: a pending timer wait keeps it alive.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  // A new deadline `timeout` from now; clears timed_out().
  void expires_after(Clock::duration timeout) {
    deadline_ = Clock::now() + timeout;
    timed_out_ = false;
    if (closed_ || deadline_ >= armed_) return;  // the timer wakes earlier and re-arms then
    armed_ = deadline_;
    // expires_at() cancels a pending wait, whose handler then does nothing. When none is pending
    // but one has completed and is queued, that handler re-arms for the new deadline itself.
    if (timer_.expires_at(armed_) > 0 || !waiting_) wait();
  }
  void expires_never() {
    deadline_ = Clock::time_point::max();
    timed_out_ = false;
  }
  bool timed_out() const { return timed_out_; }

  // Closes the socket and stops the timer; pending operations end with an error. Idempotent.
  void close() {
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

  asio::any_io_executor executor() { return timer_.get_executor(); }

 private:
  void wait() {
    waiting_ = true;
    timer_.async_wait([this, owner = owner_.lock()](const error_code& ec) {
      if (ec != asio::error::operation_aborted) on_timer();  // aborted: superseded, or closed
    });
  }

  void on_timer() {
    waiting_ = false;
    if (closed_) return;
    const auto now = Clock::now();
    if (deadline_ <= now) {
      timed_out_ = true;
      error_code ignored;
      socket_.cancel(ignored);
      armed_ = now + kRecancel;
    } else {
      armed_ = deadline_;
    }
    if (armed_ == Clock::time_point::max()) return;
    timer_.expires_at(armed_);
    wait();
  }

  tcp::socket& socket_;
  asio::steady_timer timer_;
  std::weak_ptr<void> owner_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_ = Clock::time_point::max();  // when the timer wakes; max: not waiting
  bool waiting_ = false;  // a wait is pending or its handler is queued
  bool timed_out_ = false;
  bool closed_ = false;
};

namespace {

using PlainStream = tcp::socket;
using TlsStream = ssl::stream<tcp::socket>;
template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// One accepted connection and what its session reuses from one request to the next.
template <class Stream>
struct Connection {
  template <class... Args>
  explicit Connection(tcp::socket socket, Args&... args) : stream(std::move(socket), args...) {}

  tcp::socket& socket() {
    if constexpr (kIsTls<Stream>) {
      return stream.next_layer();
    } else {
      return stream;
    }
  }

  Stream stream;  // its executor is a strand: the session and stop()'s close both run there
  Watchdog watchdog{socket()};
  beast::flat_buffer buffer;
  HttpRequest request;
  std::string head;  // the serialized status line and header fields of a response
};

// A session's registration: makes the connection closable by stop() and, when the session ends,
// closes it and takes it off `count` (the accept loop put it there).
class Registration {
 public:
  Registration(ServerState& state, std::shared_ptr<Watchdog> watchdog,
               std::atomic<std::size_t>& count)
      : state_(state), watchdog_(std::move(watchdog)), count_(count) {
    std::lock_guard lock(state_.connections_mutex);
    if (state_.stopped) return;
    id_ = state_.next_connection_id++;
    state_.connections.emplace(*id_, watchdog_);
  }
  ~Registration() {
    if (id_) {
      std::lock_guard lock(state_.connections_mutex);
      state_.connections.erase(*id_);
    }
    --count_;
    watchdog_->close();
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  bool active() const { return id_.has_value(); }  // false: the server had already stopped

 private:
  ServerState& state_;
  std::shared_ptr<Watchdog> watchdog_;
  std::atomic<std::size_t>& count_;
  std::optional<std::uint64_t> id_;
};

// CR, LF or NUL in a header name or value would let it add lines to the response head.
bool unsafe_in_header(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Serializes the status line and header fields of `response` into `head`, reusing its capacity.
// HTTP/1.0 clients get "Connection: keep-alive" when they asked for it (ApacheBench -k does).
void write_head(std::string& head, const HttpResponse& response, bool keep_alive, bool http10,
                const std::string& server_name) {
  const auto status = static_cast<http::status>(response.status);
  char number[24];
  head.assign("HTTP/1.1 ");
  head.append(number, std::to_chars(number, number + sizeof number, response.status).ptr);
  head += ' ';
  head.append(http::obsolete_reason(status));
  head.append("\r\nServer: weft\r\n");
  if (!response.content_type.empty() && !unsafe_in_header(response.content_type)) {
    head.append("Content-Type: ").append(response.content_type).append("\r\n");
  }
  if (response.status != 204 && response.status != 304) {
    head.append("Content-Length: ");
    head.append(number, std::to_chars(number, number + sizeof number, response.body.size()).ptr);
    head.append("\r\n");
  }
  bool cache_control = false;
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || unsafe_in_header(name) || unsafe_in_header(value) ||
        iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
        iequals(name, "connection")) {
      spdlog::error(
          "{}: dropped response header '{}': the server sets framing headers, and "
          "names and values must not contain CR, LF or NUL",
          server_name, name);
      continue;
    }
    cache_control = cache_control || iequals(name, "cache-control");
    head.append(name).append(": ").append(value).append("\r\n");
  }
  if (!cache_control) head.append("Cache-Control: no-store\r\n");
  if (!keep_alive) {
    head.append("Connection: close\r\n");
  } else if (http10) {
    head.append("Connection: keep-alive\r\n");
  }
  head.append("\r\n");
}

// Writes a response (head, then body unless `with_body` is false). Asio's SSL stream writes one
// buffer per record, so for TLS the body is appended to the head to make one write.
template <class Stream>
asio::awaitable<error_code> write_response(Connection<Stream>& connection, const std::string& body,
                                           bool with_body) {
  if constexpr (kIsTls<Stream>) {
    if (with_body) connection.head.append(body);
    auto [ec, n] =
        co_await asio::async_write(connection.stream, asio::buffer(connection.head), kAwait);
    co_return ec;
  } else {
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(connection.head), asio::buffer(body.data(), with_body ? body.size() : 0)};
    auto [ec, n] = co_await asio::async_write(connection.stream, buffers, kAwait);
    co_return ec;
  }
}

// Ends a connection gracefully after its last response: TLS says close_notify (and waits a
// moment for the client's), plain TCP stops sending. Dropping is done by the Registration.
template <class Stream>
asio::awaitable<void> finish(Connection<Stream>& connection) {
  connection.watchdog.expires_after(kLingerTimeout);
  if constexpr (kIsTls<Stream>) {
    co_await connection.stream.async_shutdown(kAwait);  // an error changes nothing here
  } else {
    error_code ignored;
    connection.stream.shutdown(tcp::socket::shutdown_send, ignored);
  }
}

// Sends a rejection and closes gently: stops sending, then drains what the client still sends
// for a short while (for TLS the close_notify exchange plays that part).
template <class Stream>
asio::awaitable<void> reject_and_linger(Connection<Stream>& connection,
                                        const HttpResponse& response, const ServerState& state) {
  connection.watchdog.expires_after(kLingerTimeout);
  write_head(connection.head, response, /*keep_alive=*/false, false, state.options.name);
  const error_code write_ec = co_await write_response(connection, response.body, true);
  if (write_ec) co_return;
  if constexpr (kIsTls<Stream>) {
    co_await finish(connection);
  } else {
    error_code ignored;
    connection.stream.shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 4096> scratch{};
    for (std::size_t drained = 0; drained < kMaxLingerBytes;) {
      auto [ec, n] = co_await connection.stream.async_read_some(asio::buffer(scratch), kAwait);
      if (ec) break;
      drained += n;
    }
  }
}

// What to answer when reading a request failed, or nullopt when there is nobody to answer (the
// client closed, reset, or went quiet before sending anything).
std::optional<HttpResponse> rejection(const error_code& ec, bool timed_out, bool got_some,
                                      std::size_t body_limit, const HttpServerOptions& options) {
  if (timed_out) {
    if (!got_some) return std::nullopt;
    return json_error(408, "request timed out");
  }
  if (ec == http::error::header_limit) {
    return json_error(431, "request header exceeds " + readable_size(options.max_header_bytes));
  }
  if (ec == http::error::body_limit) {
    return json_error(413, "request body exceeds " + readable_size(body_limit));
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return json_error(400, "malformed HTTP request");
  }
  return std::nullopt;
}

// The peer as "ip:port", "[ip6]:port" for IPv6; "" when the socket has no peer any more.
std::string remote_text(const tcp::socket& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  const auto address = endpoint.address().to_string();
  const auto port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

// Copies the parsed request into the connection's HttpRequest, reusing its strings' capacity.
void fill_request(HttpRequest& out, http::request<http::string_body>& message) {
  out.method.assign(message.method_string());
  out.target.assign(message.target());
  std::size_t n = 0;
  for (const auto& field : message) {
    if (n == out.headers.size()) out.headers.emplace_back();
    out.headers[n].first.assign(field.name_string());
    out.headers[n].second.assign(field.value());
    ++n;
  }
  out.headers.resize(n);
  out.body = std::move(message.body());
}

// The handler's answer; an exception escaping it is logged and answered with 500.
asio::awaitable<HttpResponse> call_handler(const ServerState& state, HttpRequest& request) {
  std::exception_ptr error;
  try {
    HttpResponse response = co_await state.handler(request);
    co_return std::move(response);
  } catch (...) {
    error = std::current_exception();
  }
  spdlog::error("{}: handler for {} {} threw: {}", state.options.name, request.method,
                request.path(), describe_exception(error));
  HttpResponse response = json_error(500, "internal error");
  response.close = false;
  co_return std::move(response);
}

// One connection: requests are read and answered in order until the client closes, asks to
// close, times out, sends something malformed, or the server stops. `over_limit`: the server is
// full; the connection only gets a 503.
template <class Stream>
asio::awaitable<void> serve_connection(std::shared_ptr<ServerState> state,
                                       std::shared_ptr<Connection<Stream>> connection,
                                       bool over_limit) {
  auto& conn = *connection;
  conn.watchdog.set_owner(connection);
  const Registration registration(*state, std::shared_ptr<Watchdog>(connection, &conn.watchdog),
                                  over_limit ? state->turning_away : state->open);
  if (!registration.active()) co_return;
  const HttpServerOptions& options = state->options;
  if constexpr (kIsTls<Stream>) {
    conn.watchdog.expires_after(options.read_timeout);
    auto [ec] = co_await conn.stream.async_handshake(ssl::stream_base::server, kAwait);
    if (ec) {
      spdlog::debug("{}: TLS handshake failed: {}", options.name, ec.message());
      co_return;
    }
  }
  if (over_limit) {
    HttpResponse busy = json_error(503, "too many connections");
    busy.headers.emplace_back("Retry-After", "1");
    co_await reject_and_linger(conn, busy, *state);
    co_return;
  }
  error_code ignored;
  conn.socket().set_option(tcp::no_delay(true), ignored);
  const std::string remote = remote_text(conn.socket());

  for (bool first = true;; first = false) {
    if (!first && conn.buffer.size() == 0) {
      // Idle between keep-alive requests: wait for the next request's first bytes.
      conn.watchdog.expires_after(options.idle_timeout);
      auto [ec, n] =
          co_await conn.stream.async_read_some(conn.buffer.prepare(kIdleReadBytes), kAwait);
      if (ec) break;
      conn.buffer.commit(n);
    }
    // One deadline for the whole request, header and body: the slow-loris bound.
    conn.watchdog.expires_after(options.read_timeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(boost::none);  // the limit depends on the route: set once the header is in
    std::size_t body_limit = options.max_body_bytes;
    auto [read_ec, header_bytes] =
        co_await http::async_read_header(conn.stream, conn.buffer, parser, kAwait);
    if (!read_ec) {
      const auto& header = parser.get();
      if (state->body_limit) {
        const std::size_t route_limit = state->body_limit(header.method_string(), header.target());
        if (route_limit != 0) body_limit = route_limit;
      }
      const auto declared = parser.content_length();
      if (declared && *declared > body_limit) {
        read_ec = http::error::body_limit;  // answered before the client sends the body
      } else if (!parser.is_done()) {
        parser.body_limit(body_limit);
        const auto expect = header[http::field::expect];
        if (header.version() >= 11 && iequals(expect, "100-continue")) {
          auto [ec, n] = co_await asio::async_write(conn.stream, asio::buffer(kContinue), kAwait);
          read_ec = ec;
        }
        if (!read_ec) {
          auto [ec, n] = co_await http::async_read(conn.stream, conn.buffer, parser, kAwait);
          read_ec = ec;
        }
      }
    }
    if (read_ec || conn.watchdog.timed_out()) {
      if (state->stopped) break;
      const bool got_some = parser.got_some() || conn.buffer.size() > 0;
      auto response = rejection(read_ec, conn.watchdog.timed_out(), got_some, body_limit, options);
      if (response) {
        spdlog::debug("{}: rejected request from {}: {} -> {}", options.name, remote,
                      read_ec.message(), response->status);
        co_await reject_and_linger(conn, *response, *state);
      }
      break;
    }
    if (state->stopped) break;

    auto& message = parser.get();
    const bool head_request = message.method() == http::verb::head;
    const bool http10 = message.version() < 11;
    bool keep_alive = message.keep_alive();
    fill_request(conn.request, message);
    conn.request.remote = remote;   // assigned each time: the handler may have taken it
    conn.watchdog.expires_never();  // the handler takes as long as it takes
    HttpResponse response = co_await call_handler(*state, conn.request);
    keep_alive = keep_alive && !response.close && !state->stopped;
    if (response.status < 200 || response.status > 599) {
      spdlog::error("{}: handler for {} {} answered status {}; sending 500 instead", options.name,
                    conn.request.method, conn.request.path(), response.status);
      response = json_error(500, "internal error");
    }
    write_head(conn.head, response, keep_alive, http10, options.name);
    const bool with_body = !head_request && response.status != 204 && response.status != 304;
    conn.watchdog.expires_after(options.read_timeout);
    const error_code write_ec = co_await write_response(conn, response.body, with_body);
    if (write_ec) break;
    if (!keep_alive) {
      co_await finish(conn);
      break;
    }
  }
}

template <class Stream, class... Args>
void spawn(const std::shared_ptr<ServerState>& state, tcp::socket socket, bool over_limit,
           Args&... args) {
  auto connection = std::make_shared<Connection<Stream>>(std::move(socket), args...);
  auto executor = connection->watchdog.executor();
  asio::co_spawn(executor, serve_connection<Stream>(state, std::move(connection), over_limit),
                 LogException{state, "connection"});
}

}  // namespace


void LogException::operator()(std::exception_ptr error) const {
  if (error) {
    spdlog::error("{}: {} ended with an exception: {}", state->options.name, what,
                  describe_exception(error));
  }
}

void spawn_session(const std::shared_ptr<ServerState>& state, tcp::socket socket, bool over_limit) {
  if (state->tls) {
    spawn<TlsStream>(state, std::move(socket), over_limit, *state->tls);
  } else {
    spawn<PlainStream>(state, std::move(socket), over_limit);
  }
}

void close_connection(const std::shared_ptr<Watchdog>& connection) {
  asio::post(connection->executor(), [connection] { connection->close(); });
}

}  // namespace weft::net::http_internal

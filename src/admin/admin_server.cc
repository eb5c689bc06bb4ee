// AdminServer over Boost.Beast: the only translation unit in weft that includes Beast. Each
// connection is one coroutine on its own strand; the accept loop is one coroutine on the
// acceptor's strand. What a request gets back is decided by AdminRouter (admin_routes.h).
#include "admin/admin_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "admin/admin_routes.h"
#include "common/exception_text.h"
#include "net/listen_address.h"

namespace weft {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;
// After rejecting a request we read (and drop) what the client is still sending for a moment, so
// that closing does not reset the connection before the client has read the error response.
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
constexpr std::chrono::seconds kLingerTimeout{1};
constexpr std::chrono::milliseconds kAcceptBackoff{100};
// A tap stream wakes at least this often to notice the server stopping, and sends an empty line
// every kTapHeartbeatWakes wakes without records, to find out whether the client is still there.
constexpr std::chrono::seconds kTapWake{1};
constexpr int kTapHeartbeatWakes = 10;

// "Address already in use" -> "address already in use", to read well after a colon.
std::string describe(const error_code& ec) {
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// A co_spawn completion handler: a coroutine that ends with an exception says so in the log.
auto log_exception(const char* what) {
  return [what](std::exception_ptr error) {
    if (error) spdlog::error("admin: {} ended with an exception: {}", what, describe_exception(error));
  };
}

struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  // Its executor is a strand: the session coroutine and stop()'s close both run there.
  beast::tcp_stream stream;
};

// What the coroutines share. Owned jointly by the AdminServer and every coroutine, so a coroutine
// still queued on the io_context after the server is gone finds live objects (and `stopped`).
struct ServerState {
  ServerState(asio::io_context& io_context, admin::AdminRouter admin_router, std::string listen_text,
              std::chrono::milliseconds timeout)
      : io(io_context),
        acceptor(asio::make_strand(io_context)),
        router(std::move(admin_router)),
        listen(std::move(listen_text)),
        read_timeout(timeout) {}

  asio::io_context& io;
  tcp::acceptor acceptor;  // used only on its strand once the accept loop runs
  const admin::AdminRouter router;
  const std::string listen;
  const std::chrono::milliseconds read_timeout;

  std::atomic<bool> stopped{false};
  // Shared while a request is in the router, exclusive in stop(): once stop() returns nothing
  // calls into the metrics registry or the StatusProvider again.
  std::shared_mutex router_mutex;
  std::mutex connections_mutex;  // guards the two members below
  std::uint64_t next_connection_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections;
};

// Registers a connection so stop() can close it; nullopt when the server has already stopped.
std::optional<std::uint64_t> add_connection(ServerState& state,
                                            const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(state.connections_mutex);
  if (state.stopped) return std::nullopt;
  const std::uint64_t id = state.next_connection_id++;
  state.connections.emplace(id, connection);
  return id;
}

void remove_connection(ServerState& state, std::uint64_t id) {
  std::lock_guard lock(state.connections_mutex);
  state.connections.erase(id);
}

// The router's answer, or nullopt when the server stopped while the request was being read.
std::optional<admin::AdminResponse> route(ServerState& state,
                                          const http::request<http::string_body>& request) {
  std::shared_lock lock(state.router_mutex);
  if (state.stopped) return std::nullopt;
  return state.router.handle({request.method_string(), request.target(),
                              request[http::field::authorization], request.body()});
}

http::response<http::string_body> to_beast(admin::AdminResponse response, unsigned version,
                                           bool keep_alive, bool head) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "weft");
  out.set(http::field::content_type, response.content_type);
  out.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : response.headers) out.set(name, value);
  if (!head) out.body() = std::move(response.body);  // a response to HEAD has no body
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// The status for a request that could not be parsed, or nullopt when the client just went away
// (closed, reset, timed out) and there is nobody to answer.
std::optional<admin::AdminResponse> rejection(const error_code& ec) {
  auto json_error = [](int status, const char* message) {
    return admin::AdminResponse{status, std::string(admin::kJsonContentType),
                                std::string(R"({"error":")") + message + R"("})", {}, nullptr};
  };
  if (ec == http::error::header_limit) return json_error(431, "request header exceeds 64 KiB");
  if (ec == http::error::body_limit) return json_error(413, "request body exceeds 64 KiB");
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return json_error(400, "malformed HTTP request");
  }
  return std::nullopt;
}

// Sends a rejection, stops sending, and drains what the client still sends for a short while.
asio::awaitable<void> reject_and_linger(Connection& connection, admin::AdminResponse response) {
  auto message = to_beast(std::move(response), 11, /*keep_alive=*/false, /*head=*/false);
  connection.stream.expires_after(kLingerTimeout);
  auto [write_ec, written] = co_await http::async_write(connection.stream, message, kAwait);
  if (write_ec) co_return;
  error_code ignored;
  connection.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> scratch{};
  for (std::size_t drained = 0; drained < kMaxLingerBytes;) {
    connection.stream.expires_after(kLingerTimeout);
    auto [ec, n] = co_await connection.stream.async_read_some(asio::buffer(scratch), kAwait);
    if (ec) break;
    drained += n;
  }
}

// Sends a `weft tap` stream: the header, then each batch of lines as one chunk as they arrive,
// until the stream ends, the client goes away or the server stops. The connection closes after.
asio::awaitable<void> stream_lines(ServerState& state, Connection& connection, unsigned version,
                                   std::shared_ptr<TapStream> stream) {
  http::response<http::empty_body> header{http::status::ok, version};
  header.set(http::field::server, "weft");
  header.set(http::field::content_type, admin::kNdjsonContentType);
  header.set(http::field::cache_control, "no-store");
  header.keep_alive(false);
  header.chunked(true);
  http::response_serializer<http::empty_body> serializer{header};
  connection.stream.expires_after(state.read_timeout);
  auto [header_ec, header_bytes] =
      co_await http::async_write_header(connection.stream, serializer, kAwait);
  // The wake-up timer runs on the connection's strand: a notification posted there cannot
  // slip in between checking for lines and starting to wait.
  auto wake = std::make_shared<asio::steady_timer>(connection.stream.get_executor());
  stream->on_ready([weak = std::weak_ptr<asio::steady_timer>(wake)] {
    if (auto timer = weak.lock()) {
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    }
  });
  int quiet_wakes = 0;
  error_code ec = header_ec;
  while (!ec && !state.stopped) {
    std::string chunk;
    for (auto& line : stream->take()) {
      chunk += line;
      chunk += '\n';
    }
    if (chunk.empty() && quiet_wakes >= kTapHeartbeatWakes) chunk = "\n";
    if (!chunk.empty()) {
      quiet_wakes = 0;
      connection.stream.expires_after(state.read_timeout);
      std::tie(ec, std::ignore) = co_await asio::async_write(
          connection.stream, http::make_chunk(asio::buffer(chunk)), kAwait);
      continue;
    }
    if (stream->done()) break;
    wake->expires_after(kTapWake);
    auto [wait_ec] = co_await wake->async_wait(kAwait);
    if (!wait_ec) ++quiet_wakes;
  }
  stream->cancel();
  if (!ec && !state.stopped) {
    connection.stream.expires_after(state.read_timeout);
    co_await asio::async_write(connection.stream, http::make_chunk_last(), kAwait);
  }
}

// One connection: requests are read and answered in order until the client closes, asks to
// close, times out, sends something malformed, or the server stops.
asio::awaitable<void> serve_connection(std::shared_ptr<ServerState> state,
                                       std::shared_ptr<Connection> connection) {
  const auto id = add_connection(*state, connection);
  if (!id) {
    connection->stream.close();
    co_return;
  }
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    connection->stream.expires_after(state->read_timeout);
    auto [read_ec, read] = co_await http::async_read(connection->stream, buffer, parser, kAwait);
    if (read_ec) {
      if (state->stopped) break;
      if (auto response = rejection(read_ec)) {
        spdlog::debug("admin: rejected request: {} -> {}", read_ec.message(), response->status);
        co_await reject_and_linger(*connection, std::move(*response));
      } else if (read_ec != http::error::end_of_stream) {
        spdlog::debug("admin: connection closed: {}", read_ec.message());
      }
      break;
    }

    const auto started = std::chrono::steady_clock::now();
    const auto& request = parser.get();
    auto response = route(*state, request);
    if (!response) break;
    if (response->stream) {
      spdlog::debug("admin: {} {} -> streaming", request.method_string(), request.target());
      co_await stream_lines(*state, *connection, request.version(), std::move(response->stream));
      break;
    }
    const int status = response->status;
    auto message = to_beast(std::move(*response), request.version(), request.keep_alive(),
                            request.method() == http::verb::head);
    connection->stream.expires_after(state->read_timeout);
    auto [write_ec, written] = co_await http::async_write(connection->stream, message, kAwait);
    const auto elapsed = std::chrono::duration<double, std::milli>(
        std::chrono::steady_clock::now() - started);
    spdlog::debug("admin: {} {} -> {} in {:.3f} ms", request.method_string(), request.target(),
                  status, elapsed.count());
    if (write_ec) break;
    if (!message.keep_alive()) {
      error_code ignored;
      connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      break;
    }
  }
  remove_connection(*state, *id);
  connection->stream.close();
}

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> state) {
  for (;;) {
    auto [ec, socket] =
        co_await state->acceptor.async_accept(asio::make_strand(state->io), kAwait);
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Typically out of file descriptors: keep serving the connections we have, retry later.
      spdlog::warn("admin: accept on {} failed: {}; retrying", state->listen, describe(ec));
      asio::steady_timer backoff(state->acceptor.get_executor(), kAcceptBackoff);
      co_await backoff.async_wait(kAwait);
      continue;
    }
    auto connection = std::make_shared<Connection>(tcp::socket(std::move(socket)));
    asio::co_spawn(connection->stream.get_executor(), serve_connection(state, connection),
                   log_exception("admin connection"));
  }
}

class BeastAdminServer final : public AdminServer {
 public:
  BeastAdminServer(std::shared_ptr<ServerState> state, unsigned short port)
      : state_(std::move(state)), port_(port) {}
  ~BeastAdminServer() override { stop(); }

  unsigned short port() const override { return port_; }

  void stop() override {
    {
      std::unique_lock lock(state_->router_mutex);  // waits for requests in the router
      if (state_->stopped.exchange(true)) return;
    }
    // Sockets are only touched on their strands; these run as soon as a thread runs `io`.
    asio::post(state_->acceptor.get_executor(), [state = state_] {
      error_code ignored;
      state->acceptor.close(ignored);
    });
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(state_->connections_mutex);
      for (auto& [id, weak] : state_->connections) {
        if (auto connection = weak.lock()) open.push_back(std::move(connection));
      }
      state_->connections.clear();
    }
    for (auto& connection : open) {
      asio::post(connection->stream.get_executor(), [connection] { connection->stream.close(); });
    }
    spdlog::info("admin: stopped listening on {}", state_->listen);
  }

 private:
  std::shared_ptr<ServerState> state_;
  unsigned short port_;
};

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::start(asio::io_context& io,
                                                        const AdminOptions& options,
                                                        prometheus::Registry& metrics,
                                                        StatusProvider& status,
                                                        StateStore* dead_letters) {
  auto address = net::parse_listen_address(options.listen);
  if (!address) return Error::invalid_config("admin.listen " + address.error().message());
  error_code ec;
  const auto ip = asio::ip::make_address(address->host, ec);
  if (ec) {
    return Error::invalid_config("admin.listen \"" + options.listen + "\": " + describe(ec));
  }
  const tcp::endpoint endpoint(ip, address->port);

  auto state = std::make_shared<ServerState>(
      io, admin::AdminRouter(metrics, status, options.bearer_token, dead_letters), options.listen,
      options.read_timeout);
  auto failed = [&] { return Error::permanent("admin.listen " + options.listen + ": " + describe(ec)); };
  state->acceptor.open(endpoint.protocol(), ec);
  if (ec) return failed();
  // Lets a restarted daemon bind while old connections sit in TIME_WAIT; a live listener on the
  // same port still makes bind fail.
  state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return failed();
  state->acceptor.bind(endpoint, ec);
  if (ec) return failed();
  state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failed();
  const unsigned short port = state->acceptor.local_endpoint(ec).port();
  if (ec) return failed();

  asio::co_spawn(state->acceptor.get_executor(), accept_loop(state),
                 log_exception("admin accept loop"));
  spdlog::info("admin: listening on {} (port {}){}", options.listen, port,
               options.bearer_token.empty() ? "" : ", bearer token required");
  return std::unique_ptr<AdminServer>(std::make_unique<BeastAdminServer>(std::move(state), port));
}

}  // namespace weft

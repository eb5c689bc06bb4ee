#pragma once

// Private to weft_http: what the accept loop and the server object (http_server.cc) share with
// the connection sessions (http_session.cc). It includes Asio, so only those two files include it.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "net/http_server.h"

namespace weft::net::http_internal {

class Watchdog;  // http_session.cc: one connection's deadlines and the way to close it

// What the coroutines share. Owned jointly by the HttpServer and every coroutine, so a coroutine
// still queued on the io_context after the server is gone finds live objects (and `stopped`).
struct ServerState {
  ServerState(boost::asio::io_context& io_context, HttpServerOptions server_options,
              HttpHandler request_handler, BodyLimit route_body_limit)
      : io(io_context),
        acceptor(boost::asio::make_strand(io_context)),
        options(std::move(server_options)),
        handler(std::move(request_handler)),
        body_limit(std::move(route_body_limit)) {}

  boost::asio::io_context& io;
  boost::asio::ip::tcp::acceptor acceptor;  // used only on its strand once the accept loop runs
  const HttpServerOptions options;
  const HttpHandler handler;
  const BodyLimit body_limit;
  std::unique_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP; set before accepting

  std::atomic<bool> stopped{false};
  // Connections being served, and connections being answered 503. Only the accept loop adds.
  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> turning_away{0};
  std::mutex connections_mutex;  // guards the two members below
  std::uint64_t next_connection_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Watchdog>> connections;
};


// A co_spawn completion handler: a coroutine that ends with an exception says so in the log.
struct LogException {
  std::shared_ptr<ServerState> state;
  const char* what;
  void operator()(std::exception_ptr error) const;
};

// Serves an accepted connection in a coroutine on the socket's executor, which must be a strand,
// until the client or the server ends it. `over_limit`: the server is full, the client only gets
// a 503. The caller has counted the connection in `state->turning_away` if over_limit, else in
// `state->open`; the session takes it off when it ends.
void spawn_session(const std::shared_ptr<ServerState>& state, boost::asio::ip::tcp::socket socket,
                   bool over_limit);

// Closes a connection found in `state.connections` (on its strand, soon). Thread-safe.
void close_connection(const std::shared_ptr<Watchdog>& connection);

}  // namespace weft::net::http_internal

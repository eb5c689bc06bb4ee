// The only translation unit of the CLI that includes Beast.
#include "cli/admin_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <exception>

#include "common/exception_text.h"
#include "weft/version.h"

namespace weft::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using LineHandler = std::function<bool(std::string_view)>;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// A full page of /api/dlq entries is well below this; a dead letter with its record is too.
constexpr std::uint64_t kMaxResponseBody = 256 * 1024 * 1024;
// An error answer to a stream request is a short JSON object.
constexpr std::uint64_t kMaxErrorBody = 1024 * 1024;
// How long a tap stream may stay silent: two of the daemon's keep-alive intervals.
constexpr std::chrono::seconds kStreamSilence{20};
// One record of a stream; a longer line is a broken stream.
constexpr std::size_t kMaxLine = 64 * 1024 * 1024;

// "Connection refused" -> "connection refused", to read well after a colon.
std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

struct Call {
  tcp::endpoint endpoint;
  std::string host_header;
  std::string method;
  std::string target;
  std::string body;
  std::string bearer_token;
  std::chrono::steady_clock::time_point deadline;
};

// Connects and sends the request; false (with `out` saying why) when that failed.
asio::awaitable<bool> connect_and_send(beast::tcp_stream& stream, const Call& call,
                                       AdminReply& out) {
  stream.expires_at(call.deadline);
  auto [connect_ec] = co_await stream.async_connect(call.endpoint, kAwait);
  if (connect_ec) {
    out.outcome = connect_ec == asio::error::connection_refused ? AdminReply::Outcome::kNotListening
                                                                : AdminReply::Outcome::kFailed;
    out.error = "connect: " + describe(connect_ec);
    co_return false;
  }

  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  request.set(http::field::host, call.host_header);
  request.set(http::field::user_agent, std::string("weft-cli/") + kVersion);
  request.keep_alive(false);
  if (!call.bearer_token.empty()) {
    request.set(http::field::authorization, "Bearer " + call.bearer_token);
  }
  if (!call.body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = call.body;
    request.prepare_payload();
  }
  stream.expires_at(call.deadline);
  auto [write_ec, written] = co_await http::async_write(stream, request, kAwait);
  if (write_ec) {
    out.error = "send: " + describe(write_ec);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> exchange(const Call& call, AdminReply& out) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  if (!co_await connect_and_send(stream, call, out)) co_return;

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  stream.expires_at(call.deadline);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kAwait);
  if (read_ec) {
    out.error = "read response: " + describe(read_ec);
    co_return;
  }
  out.outcome = AdminReply::Outcome::kResponse;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

// Hands the complete lines at the front of `pending` to `on_line` and drops them. False when
// `on_line` asked to stop.
bool hand_over_lines(std::string& pending, const LineHandler& on_line) {
  std::size_t start = 0;
  bool go_on = true;
  for (std::size_t end; go_on && (end = pending.find('\n', start)) != std::string::npos;) {
    std::string_view line(pending.data() + start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!line.empty()) go_on = on_line(line);
    start = end + 1;
  }
  pending.erase(0, start);
  return go_on;
}

asio::awaitable<void> stream_exchange(const Call& call, const LineHandler& on_line,
                                      AdminReply& out) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  if (!co_await connect_and_send(stream, call, out)) co_return;

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // a stream has no length; an error answer is limited below
  stream.expires_at(call.deadline);
  auto [header_ec, header_read] = co_await http::async_read_header(stream, buffer, parser, kAwait);
  if (header_ec) {
    out.error = "read response: " + describe(header_ec);
    co_return;
  }
  out.status = static_cast<int>(parser.get().result_int());
  if (out.status != 200) {
    http::response_parser<http::string_body> rest(std::move(parser));
    rest.body_limit(kMaxErrorBody);
    auto [read_ec, read] = co_await http::async_read(stream, buffer, rest, kAwait);
    if (read_ec) {
      out.error = "read response: " + describe(read_ec);
      co_return;
    }
    out.outcome = AdminReply::Outcome::kResponse;
    out.body = std::move(rest.get().body());
    co_return;
  }

  // The stream lasts as long as the daemon sends; waiting for records is not a timeout, but the
  // daemon sends an empty line after ten quiet seconds, so a longer silence means it is gone
  // (a host that vanished without closing the connection).
  std::string pending;
  char chunk[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    stream.expires_after(kStreamSilence);
    auto [read_ec, read] = co_await http::async_read_some(stream, buffer, parser, kAwait);
    if (read_ec == beast::error::timeout) {
      out.error = "stream: the daemon sent nothing for " +
                  std::to_string(kStreamSilence.count()) +
                  " s (it sends an empty line every 10 s while no records pass)";
      co_return;
    }
    if (read_ec == http::error::need_buffer) read_ec = {};
    pending.append(chunk, sizeof chunk - parser.get().body().size);
    if (!hand_over_lines(pending, on_line)) {
      out.outcome = AdminReply::Outcome::kResponse;
      co_return;  // closing the stream tells the daemon to stop
    }
    if (read_ec) {
      out.error = "stream: " + describe(read_ec);
      co_return;
    }
    if (pending.size() > kMaxLine) {
      out.error = "stream: a line longer than 64 MiB";
      co_return;
    }
  }
  std::string_view last(pending);
  if (last.ends_with('\r')) last.remove_suffix(1);
  if (!last.empty()) on_line(last);
  out.outcome = AdminReply::Outcome::kResponse;
}

}  // namespace

AdminClient::AdminClient(std::string host, unsigned short port, std::string bearer_token,
                         std::chrono::milliseconds timeout)
    : host_(std::move(host)),
      port_(port),
      bearer_token_(std::move(bearer_token)),
      timeout_(timeout) {
  // A daemon listening on every interface is reached through loopback.
  if (host_ == "0.0.0.0") host_ = "127.0.0.1";
  error_code ec;
  const auto address = asio::ip::make_address(host_, ec);
  if (!ec && address.is_v6() && address.is_unspecified()) host_ = "::1";
}

std::string AdminClient::url(std::string_view target) const {
  const bool ipv6 = host_.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) +
         std::string(target);
}

AdminReply AdminClient::request(std::string_view method, std::string_view target,
                                std::string_view body) const {
  return run(method, target, body, nullptr);
}

AdminReply AdminClient::stream(std::string_view target, const LineHandler& on_line) const {
  return run("GET", target, {}, &on_line);
}

AdminReply AdminClient::run(std::string_view method, std::string_view target, std::string_view body,
                            const LineHandler* line_handler) const {
  AdminReply out;
  error_code ec;
  const auto address = asio::ip::make_address(host_, ec);
  if (ec) {
    out.error = "'" + host_ + "' is not an IP address";
    return out;
  }
  const bool ipv6 = address.is_v6();
  const Call call{tcp::endpoint(address, port_),
                  (ipv6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_),
                  std::string(method),
                  std::string(target),
                  std::string(body),
                  bearer_token_,
                  std::chrono::steady_clock::now() + timeout_};
  asio::io_context io;
  auto on_done = [&out](std::exception_ptr error) {
    if (!error) return;
    out.outcome = AdminReply::Outcome::kFailed;
    out.error = describe_exception(error);
  };
  if (line_handler == nullptr) {
    asio::co_spawn(io, exchange(call, out), on_done);
  } else {
    asio::co_spawn(io, stream_exchange(call, *line_handler, out), on_done);
  }
  try {
    io.run();
  } catch (const std::exception& e) {
    out.outcome = AdminReply::Outcome::kFailed;
    out.error = e.what();
  }
  return out;
}

}  // namespace weft::cli

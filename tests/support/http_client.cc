#include "support/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cctype>
#include <exception>
#include <string>

namespace weft::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kMaxResponseBody = 64 * 1024 * 1024;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

struct Call {
  std::string method;
  std::string host;
  unsigned short port;
  std::string target;
  const std::map<std::string, std::string>& headers;
  std::string body;
  std::chrono::steady_clock::time_point deadline;
};

asio::awaitable<void> exchange(const Call& call, HttpResponse& out) {
  auto executor = co_await asio::this_coro::executor;
  const std::string where = call.host + ":" + std::to_string(call.port);
  auto fail = [&](const char* step, const boost::system::error_code& ec) {
    out.status = 0;
    out.error = std::string(step) + " " + where + call.target + ": " + ec.message();
  };

  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(call.host, std::to_string(call.port), kAwait);
  if (resolve_ec) {
    fail("resolve", resolve_ec);
    co_return;
  }

  beast::tcp_stream stream(executor);
  stream.expires_at(call.deadline);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kAwait);
  if (connect_ec) {
    fail("connect", connect_ec);
    co_return;
  }

  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  if (request.method() == http::verb::unknown) request.method_string(call.method);
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "weft-test");
  request.keep_alive(false);
  for (const auto& [name, value] : call.headers) request.set(name, value);
  request.body() = call.body;
  if (!call.body.empty()) request.prepare_payload();

  stream.expires_at(call.deadline);
  auto [write_ec, written] = co_await http::async_write(stream, request, kAwait);
  if (write_ec) {
    fail("send to", write_ec);
    co_return;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  parser.skip(request.method() == http::verb::head);  // a response to HEAD has no body
  stream.expires_at(call.deadline);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kAwait);
  if (read_ec) {
    fail("read from", read_ec);
    co_return;
  }

  auto& response = parser.get();
  out.status = static_cast<int>(response.result_int());
  out.body = std::move(response.body());
  for (const auto& field : response) {
    std::string& value = out.headers[lower(std::string(field.name_string()))];
    if (!value.empty()) value += ", ";
    value += std::string(field.value());
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse http_request(const std::string& method, const std::string& host, unsigned short port,
                          const std::string& target,
                          const std::map<std::string, std::string>& headers,
                          const std::string& body, std::chrono::milliseconds timeout) {
  HttpResponse out;
  const Call call{method, host, port, target, headers, body,
                  std::chrono::steady_clock::now() + timeout};
  asio::io_context io;
  asio::co_spawn(io, exchange(call, out), [&out](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      out.status = 0;
      out.error = e.what();
    }
  });
  try {
    io.run();
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

HttpResponse http_get(const std::string& host, unsigned short port, const std::string& target,
                      const std::map<std::string, std::string>& headers,
                      std::chrono::milliseconds timeout) {
  return http_request("GET", host, port, target, headers, "", timeout);
}

}  // namespace weft::test

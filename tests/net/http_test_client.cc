#include "net/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>

namespace weft::test {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

asio::awaitable<void> tls_session(unsigned short port, std::vector<std::string> requests,
                                  TlsExchange& out) {
  namespace ssl = asio::ssl;
  namespace http = boost::beast::http;
  constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
  auto executor = co_await asio::this_coro::executor;
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);
  ssl::stream<asio::ip::tcp::socket> stream(executor, context);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  auto [connect_ec] = co_await stream.next_layer().async_connect(endpoint, kAwait);
  if (connect_ec) {
    out.error = "connect: " + connect_ec.message();
    co_return;
  }
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, kAwait);
  if (handshake_ec) {
    out.error = "handshake: " + handshake_ec.message();
    co_return;
  }
  boost::beast::flat_buffer buffer;
  for (const auto& text : requests) {
    auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(text), kAwait);
    if (write_ec) {
      out.error = "write: " + write_ec.message();
      co_return;
    }
    http::response<http::string_body> response;
    auto [read_ec, read] = co_await http::async_read(stream, buffer, response, kAwait);
    if (read_ec) {
      out.error = "read: " + read_ec.message();
      co_return;
    }
    out.responses.emplace_back(response.result_int(), response.body());
  }
}

}  // namespace

std::string WireResponse::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

WireResponse WireClient::read_response(bool head_request, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  WireResponse out;
  std::size_t end = 0;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return out;
  }
  const std::string head = pending_.substr(0, end);
  pending_.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) return out;
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    out.headers[name] = value;
  }
  std::size_t length = 0;
  if (!head_request && out.headers.count("content-length") != 0) {
    length = std::stoul(out.headers["content-length"]);
  }
  while (pending_.size() < length) {
    if (!fill(deadline)) return out;
  }
  out.body = pending_.substr(0, length);
  pending_.erase(0, length);
  out.status = std::stoi(status_line.substr(9, 3));
  return out;
}

bool WireClient::readable_within(std::chrono::milliseconds timeout) {
  if (!pending_.empty()) return true;
  pollfd p{connection_.fd(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

std::string WireClient::read_until_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  closed_by_peer_ = false;
  while (fill(deadline)) {
  }
  std::string out = std::move(pending_);
  pending_.clear();
  return out;
}

// Appends what arrives before `deadline` to pending_; false on close, error or timeout.
bool WireClient::fill(Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !connection_.ok()) return false;
    pollfd p{connection_.fd(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(connection_.fd(), chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // orderly close, or reset
      closed_by_peer_ = true;
      return false;
    }
    pending_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::string request_text(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& extra_headers) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers;
  if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return out + "\r\n" + body;
}

TlsExchange tls_exchange(unsigned short port, std::vector<std::string> requests) {
  asio::io_context io;
  TlsExchange out;
  asio::co_spawn(io, tls_session(port, std::move(requests), out), asio::detached);
  io.run_for(std::chrono::seconds(5));
  if (!io.stopped() && out.error.empty()) out.error = "timed out";
  return out;
}

bool write_self_signed_certificate(const std::string& cert_file, const std::string& key_file) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ok = X509_sign(cert, key, EVP_sha256()) > 0;
  }
  if (ok) {
    std::FILE* out = std::fopen(cert_file.c_str(), "w");
    ok = out != nullptr && PEM_write_X509(out, cert) == 1;
    if (out != nullptr) std::fclose(out);
  }
  if (ok) {
    std::FILE* out = std::fopen(key_file.c_str(), "w");
    ok = out != nullptr &&
         PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (out != nullptr) std::fclose(out);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace weft::test

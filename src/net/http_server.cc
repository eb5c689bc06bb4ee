// HttpServer: binding, TLS set-up, the accept loop and stop(). The accept loop is one coroutine
// on the acceptor's strand; each connection is served by a coroutine of its own
// (http_session.cc). HttpRequest's helpers are here too: plain C++.
#include "net/http_server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/text.h"
#include "net/form_encoding.h"
#include "net/http_session.h"
#include "net/listen_address.h"

namespace weft::net {

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view HttpRequest::path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

std::string_view HttpRequest::query() const {
  const auto mark = target.find('?');
  if (mark == std::string::npos) return {};
  return std::string_view(target).substr(mark + 1);
}

std::optional<std::string> HttpRequest::query_param(std::string_view name) const {
  for (auto& [key, value] : parse_form(query())) {
    if (key == name) return std::move(value);
  }
  return std::nullopt;
}

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using http_internal::ServerState;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kAcceptBackoff{100};

// "Address already in use" -> "address already in use", to read well after a colon.
std::string describe(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}
std::string describe(const error_code& ec) { return describe(ec.message()); }

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(asio::make_strand(state->io), kAwait);
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Typically out of file descriptors: keep serving the connections we have, retry later.
      spdlog::warn("{}: accept on {} failed: {}; retrying", state->options.name,
                   state->options.listen, describe(ec));
      asio::steady_timer backoff(state->acceptor.get_executor(), kAcceptBackoff);
      co_await backoff.async_wait(kAwait);
      continue;
    }
    // Only this loop adds, so a count cannot pass its limit between the check and the add.
    // Saying 503 takes a moment too (the lingering close), so that is bounded as well: beyond
    // it, a connection is closed at once.
    const std::size_t limit = state->options.max_connections;
    const bool over_limit = state->open.load() >= limit;
    if (over_limit && state->turning_away.load() >= limit) continue;  // closes `socket`
    ++(over_limit ? state->turning_away : state->open);
    http_internal::spawn_session(state, tcp::socket(std::move(socket)), over_limit);
  }
}

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(std::shared_ptr<ServerState> state, unsigned short port)
      : state_(std::move(state)), port_(port) {}
  ~BeastHttpServer() override { stop(); }

  unsigned short port() const override { return port_; }
  std::size_t open_connections() const override { return state_->open.load(); }

  void stop() override {
    if (state_->stopped.exchange(true)) return;
    // Sockets are only touched on their strands; these run as soon as a thread runs `io`.
    asio::post(state_->acceptor.get_executor(), [state = state_] {
      error_code ignored;
      state->acceptor.close(ignored);
    });
    std::vector<std::shared_ptr<http_internal::Watchdog>> open;
    {
      std::lock_guard lock(state_->connections_mutex);
      for (auto& [id, weak] : state_->connections) {
        if (auto watchdog = weak.lock()) open.push_back(std::move(watchdog));
      }
      state_->connections.clear();
    }
    for (const auto& connection : open) http_internal::close_connection(connection);
    spdlog::info("{}: stopped listening on {} (port {})", state_->options.name,
                 state_->options.listen, port_);
  }

 private:
  std::shared_ptr<ServerState> state_;
  unsigned short port_;
};

// Why `path` cannot be read ("no such file or directory"), or "" when it can.
std::string unreadable(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return describe(std::strerror(errno));
  std::fclose(file);
  return {};
}

// The TLS context for the options' certificate and key, null for plain HTTP.
Result<std::unique_ptr<ssl::context>> load_tls(const HttpServerOptions& options) {
  const std::string& cert = options.tls_cert_file;
  const std::string& key = options.tls_key_file;
  if (cert.empty() && key.empty()) return std::unique_ptr<ssl::context>();
  if (cert.empty() || key.empty()) {
    return Error::invalid_config(
        options.name + ": tls_cert_file and tls_key_file go together; set both or neither");
  }
  auto file_error = [&](const char* option, const std::string& path, const std::string& why) {
    return Error::invalid_config(options.name + " " + option + " " + path + ": " + why);
  };
  if (auto why = unreadable(cert); !why.empty()) return file_error("tls_cert_file", cert, why);
  if (auto why = unreadable(key); !why.empty()) return file_error("tls_key_file", key, why);

  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  error_code ec;
  context->use_certificate_chain_file(cert, ec);
  if (ec) return file_error("tls_cert_file", cert, "not a PEM certificate: " + describe(ec));
  context->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) return file_error("tls_key_file", key, "not a PEM private key: " + describe(ec));
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return file_error("tls_key_file", key, "does not match the certificate in " + cert);
  }
  return context;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(asio::io_context& io,
                                                      HttpServerOptions options,
                                                      HttpHandler handler, BodyLimit body_limit) {
  const std::string where = options.name + " listen";
  auto address = parse_listen_address(options.listen);
  if (!address) return Error::invalid_config(where + " " + address.error().message());
  error_code ec;
  const auto ip = asio::ip::make_address(address->host, ec);
  if (ec) return Error::invalid_config(where + " \"" + options.listen + "\": " + describe(ec));
  const tcp::endpoint endpoint(ip, address->port);
  auto tls = load_tls(options);
  if (!tls) return tls.error();

  auto state = std::make_shared<ServerState>(io, std::move(options), std::move(handler),
                                             std::move(body_limit));
  state->tls = std::move(*tls);
  const std::string& listen = state->options.listen;
  auto failed = [&] { return Error::permanent(where + " " + listen + ": " + describe(ec)); };
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
                 http_internal::LogException{state, "accept loop"});
  spdlog::info("{}: listening on {} (port {}{})", state->options.name, listen, port,
               state->tls ? ", TLS" : "");
  return std::unique_ptr<HttpServer>(std::make_unique<BeastHttpServer>(std::move(state), port));
}

}  // namespace weft::net

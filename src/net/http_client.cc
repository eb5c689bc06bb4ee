// HttpClient: requests, redirects, pooling and decoding on top of the connections in
// http_connection.cc. Each send() runs its request as a coroutine of its own and waits for it on
// a timer: the timer is what the caller's cancellation and the total timeout interrupt, so
// send() returns promptly even while a DNS lookup cannot be interrupted.
#include "net/http_client.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/exception_text.h"
#include "common/text.h"
#include "net/content_decoding.h"
#include "net/http_connection.h"
#include "net/http_connection_pool.h"
#include "net/url.h"
#include "weft/version.h"

namespace weft::net {
namespace {

using namespace client_internal;  // the client's own building blocks
namespace ssl = asio::ssl;
using boost::system::error_code;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void remove_header(HeaderList& headers, std::string_view name) {
  std::erase_if(headers, [name](const auto& header) { return iequals(header.first, name); });
}

bool has_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return true;
  }
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%41b" -> "Ab"; an invalid escape is kept as written.
std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int high = text[i] == '%' && i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
    if (low >= 0) {
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string basic_credentials(std::string_view userinfo) {
  const std::string plain = percent_decode(userinfo);
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return "Basic " + encoded;
}

// A proxy setting as a ProxyEndpoint; "host:port" without a scheme means http:// as in curl.
Result<std::optional<ProxyEndpoint>> parse_proxy(const std::string& option, const std::string& text,
                                                 const std::string& client_name) {
  if (text.empty()) return std::optional<ProxyEndpoint>();
  const std::string absolute = text.find("://") == std::string::npos ? "http://" + text : text;
  auto url = parse_url(absolute);
  const std::string where = client_name + " " + option + " '" + redact_url(absolute) + "'";
  if (!url) return Error::invalid_config(where + ": " + url.error().message());
  if (url->scheme != "http") {
    return Error::invalid_config(where +
                                 ": only http:// proxies are supported (https:// "
                                 "destinations are tunnelled through them with CONNECT)");
  }
  ProxyEndpoint endpoint;
  endpoint.display = redact_url(absolute);
  if (!url->userinfo.empty()) endpoint.authorization = basic_credentials(url->userinfo);
  endpoint.url = std::move(url).value();
  return std::optional<ProxyEndpoint>(std::move(endpoint));
}

// What one send() shares between the caller's wait and the coroutine doing the work.
struct Job {
  explicit Job(const asio::any_io_executor& executor) : done(executor) {}
  InFlight inflight;
  asio::steady_timer done;  // the caller waits on it; cancelled once `result` is set
  std::optional<Result<ClientResponse>> result;
  std::string exception;  // what escaped the request's coroutine (a bug, or out of memory)
};

class HttpClientImpl final : public HttpClient,
                             public std::enable_shared_from_this<HttpClientImpl> {
 public:
  HttpClientImpl(asio::any_io_executor executor, HttpClientOptions options,
                 std::shared_ptr<spdlog::logger> log, ssl::context tls,
                 std::optional<ProxyEndpoint> http_proxy, std::optional<ProxyEndpoint> https_proxy)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        log_(std::move(log)),
        tls_(std::move(tls)),
        http_proxy_(std::move(http_proxy)),
        https_proxy_(std::move(https_proxy)),
        pool_(std::make_shared<ConnectionPool>(executor_, options_.max_idle_connections_per_host,
                                               options_.idle_timeout)) {}

  asio::awaitable<Result<ClientResponse>> send(ClientRequest request) override;

  void close_idle() override { pool_->close_all(); }

 private:
  static asio::awaitable<void> run(std::shared_ptr<HttpClientImpl> self, std::shared_ptr<Job> job,
                                   ClientRequest request);
  asio::awaitable<Result<ClientResponse>> perform(InFlight& inflight, ClientRequest request);
  asio::awaitable<Result<ClientResponse>> fetch(InFlight& inflight, const std::string& method,
                                                const Url& url, const HeaderList& headers,
                                                const std::string& body);

  // "rest source: GET https://host/x?key=***: <what failed>".
  Error in_context(Error error, std::string_view method, std::string_view url) const {
    error.with_context(std::string(method) + " " + redact_url(url, options_.secret_query_params));
    if (!options_.name.empty()) error.with_context(options_.name);
    return error;
  }

  Route route_for(const Url& url) const;
  Result<Request> build_request(const std::string& method, const Url& url,
                                const HeaderList& headers, const std::string& body,
                                const Route& route) const;
  HeaderList merged_headers(const HeaderList& request_headers) const;

  asio::any_io_executor executor_;
  HttpClientOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  ssl::context tls_;  // before pool_: pooled TLS connections refer to it
  std::optional<ProxyEndpoint> http_proxy_;
  std::optional<ProxyEndpoint> https_proxy_;
  std::shared_ptr<ConnectionPool> pool_;
};

asio::awaitable<Result<ClientResponse>> HttpClientImpl::send(ClientRequest request) {
  const std::string method = request.method;
  const std::string url = request.url;
  const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
  if (cancellation.cancelled() != asio::cancellation_type::none) {
    co_return in_context(Error::cancelled("cancelled before it was sent"), method, url);
  }
  auto job = std::make_shared<Job>(executor_);
  job->done.expires_after(options_.total_timeout);
  asio::co_spawn(executor_, run(shared_from_this(), job, std::move(request)),
                 [job](std::exception_ptr error) {
                   if (error) job->exception = describe_exception(error);
                   job->done.cancel();
                 });
  bool interrupted = false;
  try {
    auto [ec] = co_await job->done.async_wait(kAwait);
    interrupted = ec == asio::error::operation_aborted;
  } catch (const boost::system::system_error&) {
    interrupted = true;  // the caller was cancelled and its coroutine throws on cancellation
  }
  if (!job->exception.empty()) {
    co_return in_context(Error::permanent("HTTP client failed: " + job->exception), method, url);
  }
  if (job->result) co_return std::move(*job->result);
  job->inflight.abort();  // its coroutine ends soon; it holds what it uses
  if (interrupted) co_return in_context(Error::cancelled("request cancelled"), method, url);
  co_return in_context(
      Error::retryable("timed out after " + std::to_string(options_.total_timeout.count()) +
                       " ms (total_timeout)"),
      method, url);
}

asio::awaitable<void> HttpClientImpl::run(std::shared_ptr<HttpClientImpl> self,
                                          std::shared_ptr<Job> job, ClientRequest request) {
  job->result = co_await self->perform(job->inflight, std::move(request));
}

asio::awaitable<Result<ClientResponse>> HttpClientImpl::perform(InFlight& inflight,
                                                                ClientRequest request) {
  auto parsed = parse_url(request.url);
  if (!parsed) {
    co_return in_context(Error::permanent(parsed.error().message()), request.method, request.url);
  }
  Url url = std::move(parsed).value();
  const Url original = url;
  std::string method = request.method;
  std::string body = std::move(request.body);
  HeaderList headers = merged_headers(request.headers);
  for (int redirects = 0;; ++redirects) {
    auto response = co_await fetch(inflight, method, url, headers, body);
    if (!response) co_return std::move(response);
    response->url = url.to_string();
    const auto location = response->header("Location");
    if (!is_redirect(response->status) || options_.max_redirects <= 0 || !location) {
      co_return std::move(response);
    }
    if (redirects >= options_.max_redirects) {
      co_return in_context(Error::permanent("too many redirects (more than " +
                                            std::to_string(options_.max_redirects) + ")"),
                           method, url.to_string());
    }
    auto next = resolve_url(url, *location);
    if (!next) {
      co_return in_context(
          Error::permanent("redirect to an invalid Location: " + next.error().message()), method,
          url.to_string());
    }
    log_->debug("{}: {} {} redirected ({}) to {}", options_.name, method,
                redact_url(url.to_string(), options_.secret_query_params), response->status,
                redact_url(next->to_string(), options_.secret_query_params));
    // RFC 9110 §15.4: 303 means "GET the other resource"; 301 and 302 turn a POST into a GET
    // as browsers do; 307 and 308 repeat the request as it was.
    if ((response->status == 303 && method != "HEAD") ||
        ((response->status == 301 || response->status == 302) && method == "POST")) {
      method = "GET";
      body.clear();
      remove_header(headers, "Content-Type");
      remove_header(headers, "Content-Length");
    }
    // Credentials are for the host they were given for; a downgrade to http would expose them.
    if (next->host != original.host || next->port != original.port ||
        (original.scheme == "https" && next->scheme == "http")) {
      remove_header(headers, "Authorization");
      remove_header(headers, "Cookie");
    }
    url = std::move(next).value();
  }
}

asio::awaitable<Result<ClientResponse>> HttpClientImpl::fetch(InFlight& inflight,
                                                              const std::string& method,
                                                              const Url& url,
                                                              const HeaderList& headers,
                                                              const std::string& body) {
  const std::string url_text = url.to_string();
  const Route route = route_for(url);
  auto request = build_request(method, url, headers, body, route);
  if (!request) co_return in_context(request.error(), method, url_text);
  ExchangeSettings exchange_settings{options_.read_timeout, options_.max_response_bytes,
                                     method == "HEAD"};
  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<Connection> connection;
    if (attempt == 0) connection = pool_->take(route.key);
    const bool reused = connection != nullptr;
    if (!reused) {
      auto opened = co_await open_connection(inflight, route, tls_,
                                             {options_.connect_timeout, !options_.tls_insecure});
      if (!opened) co_return in_context(opened.error(), method, url_text);
      connection = std::move(opened).value();
    }
    inflight.connection = connection;
    Exchanged answer = co_await exchange(*connection, *request, exchange_settings);
    inflight.connection.reset();
    if (answer.error) {
      connection->close();
      // A pooled connection the server closed while it was idle: nothing reached the
      // application, so the request goes again on a fresh connection, once. Only when it is
      // safe to repeat, or when sending it already failed.
      if (reused && !inflight.aborted && answer.connection_lost &&
          (answer.send_failed || idempotent(method))) {
        log_->debug(
            "{}: {} {}: pooled connection was closed by the server; retrying on a new "
            "connection",
            options_.name, method, redact_url(url_text, options_.secret_query_params));
        continue;
      }
      co_return in_context(*answer.error, method, url_text);
    }
    if (answer.keep_alive && !inflight.aborted) {
      pool_->put(route.key, std::move(connection));
    } else {
      connection->close();
    }
    ClientResponse response;
    response.status = answer.status;
    response.headers = std::move(answer.headers);
    response.body = std::move(answer.body);
    const auto encoding = response.header("Content-Encoding");
    if (encoding && !response.body.empty() && is_decodable_encoding(*encoding)) {
      auto decoded = decode_content(*encoding, response.body, options_.max_response_bytes);
      if (!decoded) co_return in_context(decoded.error(), method, url_text);
      response.body = std::move(decoded).value();
    }
    co_return std::move(response);
  }
}

Route HttpClientImpl::route_for(const Url& url) const {
  Route route;
  route.origin = url;
  route.key = url.scheme + "://" + url.authority();
  if (!options_.proxy.proxy_for(url.scheme, url.host).empty()) {
    const auto& proxy = url.scheme == "https" ? https_proxy_ : http_proxy_;
    if (proxy) {
      route.proxy = &*proxy;
      // The full proxy URL: connections made with other credentials are not shared.
      route.key += " via " + proxy->url.to_string() + " " + proxy->authorization;
    }
  }
  return route;
}

HeaderList HttpClientImpl::merged_headers(const HeaderList& request_headers) const {
  HeaderList out;
  for (const auto& header : options_.default_headers) {
    if (!has_header(request_headers, header.first)) out.push_back(header);
  }
  out.insert(out.end(), request_headers.begin(), request_headers.end());
  if (!has_header(out, "User-Agent"))
    out.emplace_back("User-Agent", std::string("weft/") + kVersion);
  if (options_.accept_compressed && !has_header(out, "Accept-Encoding")) {
    out.emplace_back("Accept-Encoding", "gzip, deflate");
  }
  return out;
}

Result<Request> HttpClientImpl::build_request(const std::string& method, const Url& url,
                                              const HeaderList& headers, const std::string& body,
                                              const Route& route) const {
  Request request;
  const auto verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    if (method.empty() || method.find_first_of(" \t\r\n") != std::string::npos) {
      return Error::permanent("invalid HTTP method '" + method + "'");
    }
    request.method_string(method);
  } else {
    request.method(verb);
  }
  request.version(11);
  // Through a proxy, plain http requests name the whole URL (RFC 9112 §3.2.2).
  request.target(route.absolute_form() ? url.to_string() : url.target);
  // Host and framing follow the URL and the body; a caller's own are ignored.
  request.set(http::field::host, url.host_header());
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return Error::permanent("header '" + name + "' has a line break or colon in it");
    }
    if (iequals(name, "Host") || iequals(name, "Content-Length") ||
        iequals(name, "Transfer-Encoding")) {
      continue;
    }
    request.insert(name, value);
  }
  if (route.absolute_form() && !route.proxy->authorization.empty()) {
    request.set(http::field::proxy_authorization, route.proxy->authorization);
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request.body() = body;
    request.content_length(body.size());
  }
  return request;
}

}  // namespace

Result<std::shared_ptr<HttpClient>> HttpClient::create(asio::any_io_executor executor,
                                                       HttpClientOptions options,
                                                       std::shared_ptr<spdlog::logger> log) {
  if (!log) log = spdlog::default_logger();
  ssl::context tls(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  error_code ec;
  tls.set_default_verify_paths(ec);
  if (ec)
    log->warn("{}: the system's CA certificates could not be loaded: {}", options.name,
              ec.message());
  if (!options.ca_file.empty()) {
    std::error_code exists_ec;
    if (!std::filesystem::exists(options.ca_file, exists_ec)) {
      return Error::invalid_config(options.name + " ca_file " + options.ca_file +
                                   ": no such file or directory");
    }
    tls.load_verify_file(options.ca_file, ec);
    if (ec) {
      return Error::invalid_config(options.name + " ca_file " + options.ca_file +
                                   ": not a PEM certificate bundle (" + ec.message() + ")");
    }
  }
  if (options.tls_insecure) {
    tls.set_verify_mode(ssl::verify_none);
    log->warn(
        "{}: tls_insecure is set: TLS certificates and host names are NOT verified; "
        "anyone on the network path can read and change this traffic",
        options.name);
  } else {
    tls.set_verify_mode(ssl::verify_peer);
  }
  auto http_proxy = parse_proxy("http_proxy", options.proxy.http_proxy, options.name);
  if (!http_proxy) return http_proxy.error();
  auto https_proxy = parse_proxy("https_proxy", options.proxy.https_proxy, options.name);
  if (!https_proxy) return https_proxy.error();
  std::shared_ptr<HttpClient> client = std::make_shared<HttpClientImpl>(
      std::move(executor), std::move(options), std::move(log), std::move(tls),
      std::move(http_proxy).value(), std::move(https_proxy).value());
  return client;
}

}  // namespace weft::net

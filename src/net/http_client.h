#pragma once

// An HTTP/1.1 client for connectors that call HTTP APIs (the REST source; later S3 and
// Salesforce): TLS with the system's CAs and hostname verification, SNI, a keep-alive
// connection pool, connect/read/total timeouts, bounded redirects, gzip/deflate responses and
// HTTP(S)_PROXY / NO_PROXY with CONNECT tunnelling. Beast stays in the .cc files.
//
// Threading: a client belongs to the executor it was created with (a strand or a one-thread
// io_context); call send() from coroutines on it. Several send() calls may be in flight at once
// (parallel page fetches); each takes its own pooled connection.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "weft/status.h"

namespace spdlog {
class logger;
}

namespace weft::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL with its query already encoded (see net/url.h)
  HeaderList headers;  // added to the client's defaults; a same-named default is replaced
  std::string body;    // sent with Content-Length when non-empty or the method is POST/PUT/PATCH
};

struct ClientResponse {
  int status = 0;
  HeaderList headers;  // as received, names as sent
  std::string body;    // with Content-Encoding gzip/deflate already removed
  std::string url;     // the URL that answered (after redirects)

  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Where requests go through a proxy, in curl's conventions: `http_proxy` for http:// URLs,
// `https_proxy` for https:// URLs (tunnelled with CONNECT), `no_proxy` a comma-separated list of
// hosts, domain suffixes (".example.com" or "example.com" matches its subdomains too), IPs, and
// "*" for every host. A proxy URL may carry "user:pass@" for Proxy-Authorization: Basic.
struct ProxySettings {
  std::string http_proxy;
  std::string https_proxy;
  std::string no_proxy;

  // From HTTP_PROXY/http_proxy, HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy (lower case wins,
  // as in curl).
  static ProxySettings from_environment();
  // The proxy URL to use for `url`, or empty for a direct connection.
  std::string proxy_for(std::string_view scheme, std::string_view host) const;
};

struct HttpClientOptions {
  std::string name = "http";  // prefixes log lines and errors: "rest source: ..."
  std::chrono::milliseconds connect_timeout{10000};  // DNS + TCP + TLS handshake (+ CONNECT)
  std::chrono::milliseconds read_timeout{30000};     // the longest silence while reading
  std::chrono::milliseconds total_timeout{120000};   // one send() including redirects
  int max_redirects = 5;                             // 0 returns 3xx responses as they are
  std::size_t max_response_bytes = 64 * 1024 * 1024;  // decoded body; beyond: permanent error
  std::size_t max_idle_connections_per_host = 8;
  std::chrono::milliseconds idle_timeout{50000};  // a pooled connection idle longer is closed
  // TLS: verification against the system CAs (plus `ca_file`, a PEM bundle, when set) and the
  // host name. `insecure` turns both off; the client logs a warning when it is created.
  bool tls_insecure = false;
  std::string ca_file;
  ProxySettings proxy = ProxySettings::from_environment();
  HeaderList default_headers;  // sent with every request (User-Agent is added if missing)
  bool accept_compressed = true;  // sends Accept-Encoding: gzip, deflate
  // Query parameters whose values never appear in errors or logs (an API key in the query);
  // see redact_url().
  std::vector<std::string> secret_query_params;
};

class HttpClient {
 public:
  // invalid_config naming the option when `ca_file` cannot be loaded or a proxy URL is invalid.
  static Result<std::shared_ptr<HttpClient>> create(boost::asio::any_io_executor executor,
                                                    HttpClientOptions options,
                                                    std::shared_ptr<spdlog::logger> log);
  virtual ~HttpClient() = default;

  // Sends `request` and reads the whole response. Redirects (301, 302, 303, 307, 308) are
  // followed up to max_redirects; 303 (and 301/302 for a POST) turn into a GET without a body,
  // and Authorization is dropped when a redirect leaves the original host. Any HTTP status is a
  // successful Result: use check_status() to classify it.
  //
  // Errors name the method and the redacted URL: DNS failures, refused connections, resets,
  // timeouts and truncated responses are retryable; certificate verification failures, invalid
  // URLs, too many redirects and oversized or undecodable bodies are permanent. When the
  // awaiting coroutine is cancelled (the pipeline is stopping) the request is abandoned and the
  // result is an Error of kind cancelled.
  virtual boost::asio::awaitable<Result<ClientResponse>> send(ClientRequest request) = 0;

  // Closes pooled idle connections (e.g. before a long pause between scheduled runs).
  virtual void close_idle() = 0;
};

// Classifies a response for the retry layer: 2xx is ok; 408, 425, 429 and 5xx are retryable,
// carrying the Retry-After delay when the response has one; every other status is permanent.
// The message names the method, the redacted URL, the status and the start of the body:
//   "GET https://api.example.com/v1/x?api_key=***: HTTP 503 Service Unavailable: upstream ..."
Status check_status(const ClientRequest& request, const ClientResponse& response,
                    const std::vector<std::string>& secret_query_params = {});

// A Retry-After value (delay in seconds, or an HTTP date relative to `now`) as a delay; nullopt
// when it cannot be parsed. A date in the past is 0.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace weft::net

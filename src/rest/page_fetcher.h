#pragma once

// Sends the REST source's page requests: waits for the rate limits (weft's own token bucket
// and the API's X-RateLimit-Remaining/Reset), adds credentials, retries once with a new OAuth
// token on 401, records metrics, and classifies the answer for the retry layer. Shared by the
// page fetches in flight at once, and kept alive by them, so a fetch that outlives the source
// (cancelled while it stops) touches nothing freed.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "net/http_client.h"
#include "rest/paginator.h"
#include "rest/rest_config.h"
#include "weft/context.h"
#include "weft/status.h"

namespace weft {
class TokenBucket;
}

namespace weft::rest {

class Authenticator;
struct FetchMetrics;

struct FetchedPage {
  PageRequest request;
  net::ClientResponse response;
};

class PageFetcher {
 public:
  // invalid_config when the TLS CA file or a secret file cannot be read.
  static Result<std::shared_ptr<PageFetcher>> create(const RestConfig& config,
                                                     boost::asio::any_io_executor executor,
                                                     const ConnectorContext& ctx);
  ~PageFetcher();

  // Fetches one page with `body` (POST) and returns it when the API answered 2xx; otherwise the
  // classified Error (retryable for timeouts, 429 and 5xx, with the API's Retry-After).
  boost::asio::awaitable<Result<FetchedPage>> fetch(PageRequest request, std::string body);

  void close_idle();

 private:
  PageFetcher() = default;
  boost::asio::awaitable<void> wait_for_rate_limits();
  void note_rate_headers(const net::ClientResponse& response);

  std::string method_;
  net::HeaderList headers_;
  std::vector<std::string> secret_params_;
  RateLimitConfig rate_limit_;
  std::shared_ptr<net::HttpClient> client_;
  std::unique_ptr<Authenticator> auth_;
  std::shared_ptr<TokenBucket> bucket_;                   // null: no limit of weft's own
  std::chrono::system_clock::time_point api_reset_at_{};  // X-RateLimit-Remaining hit 0
  std::unique_ptr<FetchMetrics> metrics_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace weft::rest

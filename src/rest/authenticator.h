#pragma once

// Adds credentials to the REST source's requests: a bearer token, basic auth, an API key in a
// header or the query, or an OAuth 2.0 access token (client credentials or refresh-token
// grant) that is cached, renewed before it expires, and renewed once more when the API answers
// 401 anyway. Secrets are read when the source connects and never logged.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "net/http_client.h"
#include "rest/rest_config.h"
#include "weft/status.h"

namespace weft::rest {

class Authenticator {
 public:
  // Reads secret files; invalid_config naming the field when one cannot be read. `client`
  // fetches OAuth tokens and must outlive the authenticator.
  static Result<std::unique_ptr<Authenticator>> create(const AuthConfig& config,
                                                       net::HttpClient& client);

  // Adds credentials to `request`, first fetching an OAuth token if none is cached or it is
  // about to expire. Token endpoint failures come back classified (5xx/429 retryable, a
  // rejected client permanent) and name the token URL.
  boost::asio::awaitable<Status> apply(net::ClientRequest& request);

  // The API answered 401: drops a cached OAuth token so the next apply() fetches a new one.
  // True when that can help (OAuth), false when the same credentials would be sent again.
  bool on_unauthorized();

  // Token requests made so far (for tests and the log).
  int token_requests() const { return token_requests_; }

 private:
  Authenticator(AuthConfig config, net::HttpClient& client)
      : config_(std::move(config)), client_(client) {}
  boost::asio::awaitable<Status> fetch_token();

  AuthConfig config_;
  net::HttpClient& client_;
  std::string token_;  // bearer token, password or API key, read from config or file
  std::string client_secret_;
  std::string refresh_token_;  // may be rotated by the token endpoint
  std::string access_token_;   // OAuth: cached
  std::chrono::steady_clock::time_point renew_at_{};
  int token_requests_ = 0;
};

std::string base64_encode(std::string_view bytes);

}  // namespace weft::rest

#pragma once

// How the fake REST API's data endpoints authenticate clients, and its OAuth 2 token endpoint
// (client credentials and refresh token grants).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "net/http_server.h"
#include "weft/status.h"

namespace weft::fakes {

enum class AuthMode { kNone, kBearer, kBasic, kApiKeyHeader, kApiKeyQuery, kOAuth };

struct AuthConfig {
  AuthMode mode = AuthMode::kNone;
  std::string first;   // bearer token, user, API key header or parameter name, OAuth client id
  std::string second;  // password, API key value, OAuth client secret
};

// "none", "bearer:TOKEN", "basic:USER:PASS", "api_key_header:NAME:VALUE",
// "api_key_query:NAME:VALUE", "oauth:CLIENT_ID:CLIENT_SECRET". The last part may contain ':'.
// An invalid_config Error saying what is expected otherwise.
Result<AuthConfig> parse_auth(std::string_view text);
// The inverse of parse_auth.
std::string to_string(const AuthConfig& auth);

// The decoded query of a request: name, value pairs in order.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Issues OAuth access and refresh tokens and says which access tokens are valid. Thread-safe.
class TokenIssuer {
 public:
  TokenIssuer();

  // Answers POST /oauth/token for `auth` (an oauth config): 200 with new tokens, 401
  // {"error":"invalid_client"} for wrong client credentials (in the form or as HTTP Basic), 400
  // invalid_grant for an unknown refresh token, 400 unsupported_grant_type otherwise.
  net::HttpResponse token_endpoint(const net::HttpRequest& request, const AuthConfig& auth);

  // Whether `token` was issued and has neither expired nor been expired by expire_all().
  bool valid(std::string_view token);
  // Ends every access token issued so far; refresh tokens stay valid.
  void expire_all();
  void set_lifetime(std::chrono::seconds lifetime);
  std::uint64_t issued() const;

 private:
  std::string random_token(std::string_view prefix);  // needs mutex_

  mutable std::mutex mutex_;
  std::chrono::seconds lifetime_{3600};
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> access_;  // -> expiry
  std::unordered_set<std::string> refresh_;
  std::uint64_t issued_ = 0;
  std::mt19937_64 random_;
};

// nullopt when the request carries the credentials `auth` asks for, else the 401 to answer
// (with WWW-Authenticate where the scheme has one).
std::optional<net::HttpResponse> check_auth(const net::HttpRequest& request,
                                            const QueryParams& params, const AuthConfig& auth,
                                            TokenIssuer& tokens);

}  // namespace weft::fakes

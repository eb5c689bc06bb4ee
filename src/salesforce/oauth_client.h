#pragma once

// Logging in to a Salesforce org with OAuth 2.0 (protocols.md §4): the four grants a server-side
// integration can use, the RS256 assertion of the JWT bearer grant, and a cached access token.
// Salesforce tokens carry no lifetime (no expires_in): the token is kept until a data request
// answers 401 INVALID_SESSION_ID, and then renew()ed.
//
// Secrets (client secret, password, refresh token, private key, the assertion, the access token)
// never appear in an Error's message.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "weft/status.h"

namespace weft::net {
class HttpClient;
}

namespace weft::salesforce {

enum class Grant { kClientCredentials, kJwtBearer, kRefreshToken, kPassword };

// "client_credentials", "jwt_bearer", "refresh_token", "password": how errors name the grant.
const char* to_string(Grant grant);

struct OAuthSettings {
  Grant grant = Grant::kClientCredentials;
  // https://login.salesforce.com, https://test.salesforce.com or a My Domain URL; the token
  // endpoint is login_url + "/services/oauth2/token" (a trailing '/' is ignored).
  std::string login_url = "https://login.salesforce.com";
  std::string client_id;        // the connected app's consumer key
  std::string client_secret;    // client credentials, password; optional for refresh token
  std::string username;         // JWT bearer `sub`, password grant
  std::string password;         // password grant: the password with the security token appended
  std::string refresh_token;    // refresh token grant
  std::string private_key_pem;  // JWT bearer: the PEM private key's contents (unencrypted)
  // JWT `aud`. Empty: https://test.salesforce.com for test.salesforce.com and sandbox My Domains
  // (*.sandbox.my.salesforce.com), https://login.salesforce.com for every other *.salesforce.com
  // host, and login_url itself otherwise (an Experience Cloud site, a fake org).
  std::string audience;
};

struct AccessToken {
  std::string access_token;
  std::string instance_url;  // "https://mydomain.my.salesforce.com", without a trailing '/'
};

// The JWT bearer grant's assertion: header {"alg":"RS256"}, claims {iss = client_id,
// sub = username, aud (see OAuthSettings::audience), exp = now + 3 minutes}, signed RS256 with
// private_key_pem. An invalid_config Error when the key is not an unencrypted PEM RSA private key
// (the message never quotes the key). Thread-safe.
Result<std::string> make_jwt_assertion(const OAuthSettings& settings,
                                       std::chrono::system_clock::time_point now);

// The access token of one org, fetched on first use and shared by every request to the org.
//
// Threading: like net::HttpClient, an OAuthClient belongs to the HTTP client's executor (a strand
// or a one-thread io_context); call token() and renew() from coroutines on it, and keep the
// OAuthClient alive until they return. Calls made while a token request is in flight wait for
// that request instead of sending another.
//
// Failures (the token is not cached, so the next call tries again): a refused login (HTTP 400 or
// 401 with an OAuth error body) is permanent, "salesforce login (password): invalid_grant:
// authentication failure"; transport errors, timeouts, 408/429/5xx are retryable (with the
// Retry-After delay when there is one); a 2xx without access_token or instance_url is permanent;
// an unreadable private key is invalid_config. A caller whose coroutine is cancelled gets an
// Error of kind cancelled.
class OAuthClient {
 public:
  OAuthClient(std::shared_ptr<net::HttpClient> http, OAuthSettings settings);
  ~OAuthClient();
  OAuthClient(const OAuthClient&) = delete;
  OAuthClient& operator=(const OAuthClient&) = delete;

  // The cached token, fetched on first use.
  boost::asio::awaitable<Result<AccessToken>> token();
  // Forgets the cached token (after a 401 INVALID_SESSION_ID) and fetches a new one. While a
  // fetch is already in flight, waits for it instead: its token is newer than the one refused.
  boost::asio::awaitable<Result<AccessToken>> renew();

 private:
  struct Flight;  // one token request in flight and the callers waiting for it (in the .cc)

  boost::asio::awaitable<Result<AccessToken>> lead();   // sends a request others may wait for
  boost::asio::awaitable<Result<AccessToken>> fetch();  // one token request
  // `message` with every secret of the settings (and `extra`) replaced by "***".
  std::string redact(std::string message, const std::string& extra = {}) const;

  std::shared_ptr<net::HttpClient> http_;
  OAuthSettings settings_;
  std::unique_ptr<AccessToken> cached_;
  std::shared_ptr<Flight> flight_;  // set while a token request is in flight
};

}  // namespace weft::salesforce

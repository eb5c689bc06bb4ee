#pragma once

// The fake's OAuth 2.0 token endpoint (POST /services/oauth2/token, protocols.md §4) and the
// sessions it hands out. Grants: client_credentials, password, refresh_token and
// urn:ietf:params:oauth:grant-type:jwt-bearer (RS256, verified with the configured public key).

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>

#include "fakes/salesforce/jwt.h"
#include "net/http_server.h"

namespace weft::fakes::salesforce {

// What the token endpoint accepts. The connected app's consumer key and secret are client_id and
// client_secret; `password` is the user's password with the security token appended.
struct Credentials {
  std::string client_id = "fake-consumer-key";
  std::string client_secret = "fake-consumer-secret";
  std::string username = "integration@example.com";
  std::string password = "password-and-security-token";
  std::string refresh_token = "fake-refresh-token";  // the one refresh token the org knows
  std::string jwt_audience = "https://login.salesforce.com";
  std::string jwt_public_key_pem;  // empty: the JWT bearer grant is refused
  PublicKey jwt_key;               // parsed from jwt_public_key_pem
};

// Access tokens issued and still valid. Thread-safe.
class SessionIssuer {
 public:
  SessionIssuer();
  std::string issue();
  bool valid(std::string_view token) const;
  // Every token issued so far stops working; tokens issued later work.
  void expire_all();

 private:
  mutable std::mutex mutex_;
  std::unordered_set<std::string> valid_;
  std::mt19937_64 random_;
};

// Answers a request to the token endpoint. Success: 200 {"access_token","instance_url","id",
// "token_type":"Bearer","issued_at":"<epoch ms as a string>","signature"} (plus "scope" for the
// client_credentials and JWT grants). Failure: 400 {"error":"invalid_grant","error_description"}
// for wrong credentials or a refused assertion, 400 unsupported_grant_type for another grant,
// 405 for a method other than POST. Sets `grant_type` to the grant asked for ("" when none).
net::HttpResponse answer_token(const net::HttpRequest& request, const Credentials& credentials,
                               SessionIssuer& sessions, const std::string& instance_url,
                               std::string& grant_type);

}  // namespace weft::fakes::salesforce

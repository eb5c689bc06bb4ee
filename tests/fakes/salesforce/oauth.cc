#include "fakes/salesforce/oauth.h"

#include <openssl/hmac.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "fakes/encoding.h"
#include "net/form_encoding.h"

namespace weft::fakes::salesforce {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using Form = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view kOrgId = "00D000000000001AAA";
constexpr std::string_view kUserId = "005000000000001AAA";

HttpResponse oauth_error(int status, std::string_view error, std::string_view description) {
  HttpResponse response;
  response.status = status;
  response.body = nlohmann::json{{"error", error}, {"error_description", description}}.dump();
  return response;
}

std::string field(const Form& form, std::string_view name) {
  for (const auto& [key, value] : form) {
    if (key == name) return value;
  }
  return {};
}

// Why the assertion is refused, or nullopt when it is accepted.
std::optional<std::string> refuse_assertion(const std::string& assertion,
                                            const Credentials& credentials) {
  if (!credentials.jwt_key) return "no certificate is configured for the JWT bearer flow";
  auto claims = verify_rs256(assertion, *credentials.jwt_key);
  if (!claims.ok()) return "invalid assertion: " + claims.error().message();
  if (claims->value("iss", "") != credentials.client_id) return "invalid assertion: iss";
  if (claims->value("sub", "") != credentials.username) return "invalid assertion: sub";
  const auto aud = claims->find("aud");
  bool audience = false;
  if (aud != claims->end() && aud->is_string()) audience = *aud == credentials.jwt_audience;
  if (aud != claims->end() && aud->is_array()) {
    for (const auto& item : *aud) audience = audience || item == credentials.jwt_audience;
  }
  if (!audience) return "invalid assertion: aud";
  const auto exp = claims->find("exp");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (exp == claims->end() || !exp->is_number() || exp->get<double>() <= static_cast<double>(now)) {
    return "invalid assertion: expired or no exp";
  }
  return std::nullopt;
}

// Why the grant is refused (as error_description), or nullopt.
std::optional<std::string> refuse(const std::string& grant, const Form& form,
                                  const Credentials& credentials) {
  const std::string client_id = field(form, "client_id");
  const std::string client_secret = field(form, "client_secret");
  if (grant == "client_credentials") {
    if (client_id != credentials.client_id || client_secret != credentials.client_secret) {
      return "invalid client credentials";
    }
  } else if (grant == "password") {
    if (client_id != credentials.client_id || client_secret != credentials.client_secret) {
      return "invalid client credentials";
    }
    if (field(form, "username") != credentials.username ||
        field(form, "password") != credentials.password) {
      return "authentication failure";
    }
  } else if (grant == "refresh_token") {
    if (client_id != credentials.client_id ||
        (!client_secret.empty() && client_secret != credentials.client_secret)) {
      return "invalid client credentials";
    }
    if (field(form, "refresh_token") != credentials.refresh_token)
      return "expired access/refresh token";
  } else {
    return refuse_assertion(field(form, "assertion"), credentials);
  }
  return std::nullopt;
}

// Salesforce's signature: base64 HMAC-SHA256 of id + issued_at keyed with the consumer secret.
std::string signature(const std::string& id, const std::string& issued_at,
                      const std::string& secret) {
  const std::string message = id + issued_at;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &length) == nullptr) {
    return {};
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(mac), length));
}

}  // namespace

SessionIssuer::SessionIssuer() : random_(std::random_device{}()) {}

std::string SessionIssuer::issue() {
  std::lock_guard lock(mutex_);
  std::string token = std::string(kOrgId.substr(0, 15)) + "!AQ";
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t bits = random_();
    for (int shift = 60; shift >= 0; shift -= 4) token += kHex[(bits >> shift) & 15];
  }
  valid_.insert(token);
  return token;
}

bool SessionIssuer::valid(std::string_view token) const {
  std::lock_guard lock(mutex_);
  return valid_.count(std::string(token)) > 0;
}

void SessionIssuer::expire_all() {
  std::lock_guard lock(mutex_);
  valid_.clear();
}

HttpResponse answer_token(const HttpRequest& request, const Credentials& credentials,
                          SessionIssuer& sessions, const std::string& instance_url,
                          std::string& grant_type) {
  const Form form = net::parse_form(request.body);
  grant_type = field(form, "grant_type");
  if (request.method != "POST") return oauth_error(405, "invalid_request", "must use HTTP POST");
  if (grant_type != "client_credentials" && grant_type != "password" &&
      grant_type != "refresh_token" && grant_type != kJwtBearer) {
    return oauth_error(400, "unsupported_grant_type", "grant type not supported");
  }
  if (const auto refused = refuse(grant_type, form, credentials)) {
    return oauth_error(400, "invalid_grant", *refused);
  }
  const std::string id = instance_url + "/id/" + std::string(kOrgId) + "/" + std::string(kUserId);
  const std::string issued_at =
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  nlohmann::json body = {{"access_token", sessions.issue()},
                         {"instance_url", instance_url},
                         {"id", id},
                         {"token_type", "Bearer"},
                         {"issued_at", issued_at},
                         {"signature", signature(id, issued_at, credentials.client_secret)}};
  if (grant_type == "client_credentials" || grant_type == kJwtBearer) body["scope"] = "api";
  HttpResponse response;
  response.body = body.dump();
  return response;
}

}  // namespace weft::fakes::salesforce

#include "fakes/auth.h"

#include "common/text.h"
#include "fakes/encoding.h"
#include "net/form_encoding.h"

namespace weft::fakes {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using Clock = std::chrono::steady_clock;

// Pruning expired access tokens is left until this many are held.
constexpr std::size_t kPruneAbove = 4096;

HttpResponse json_response(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse unauthorized(std::string body, std::string challenge) {
  HttpResponse response = json_response(401, std::move(body));
  if (!challenge.empty()) response.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return response;
}

// The credentials of "Authorization: <scheme> <credentials>", if that is the scheme used.
std::optional<std::string_view> credentials(const HttpRequest& request, std::string_view scheme) {
  const auto header = request.header("Authorization");
  if (!header) return std::nullopt;
  const std::string_view value = trim(*header);
  if (value.size() <= scheme.size() || value[scheme.size()] != ' ' ||
      !iequals(value.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  return trim(value.substr(scheme.size() + 1));
}

// "user:password" from HTTP Basic credentials.
std::optional<std::pair<std::string, std::string>> basic_pair(const HttpRequest& request) {
  const auto encoded = credentials(request, "Basic");
  if (!encoded) return std::nullopt;
  const auto decoded = base64_decode(*encoded);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

const std::string* find(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace

Result<AuthConfig> parse_auth(std::string_view text) {
  const auto fail = [&](const std::string& expected) {
    return Error::invalid_config("auth '" + std::string(text) + "': expected " + expected);
  };
  const auto colon = text.find(':');
  const std::string_view mode = text.substr(0, colon);
  const std::string_view rest =
      colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  AuthConfig auth;
  if (mode == "none" && colon == std::string_view::npos) return auth;
  if (mode == "bearer") {
    if (rest.empty()) return fail("bearer:TOKEN");
    auth.mode = AuthMode::kBearer;
    auth.first = rest;
    return auth;
  }
  const auto split = rest.find(':');
  auth.first = rest.substr(0, split);
  if (split != std::string_view::npos) auth.second = rest.substr(split + 1);
  const bool complete = !auth.first.empty() && !auth.second.empty();
  if (mode == "basic") {
    if (!complete) return fail("basic:USER:PASS");
    auth.mode = AuthMode::kBasic;
  } else if (mode == "api_key_header") {
    if (!complete) return fail("api_key_header:NAME:VALUE");
    auth.mode = AuthMode::kApiKeyHeader;
  } else if (mode == "api_key_query") {
    if (!complete) return fail("api_key_query:NAME:VALUE");
    auth.mode = AuthMode::kApiKeyQuery;
  } else if (mode == "oauth") {
    if (!complete) return fail("oauth:CLIENT_ID:CLIENT_SECRET");
    auth.mode = AuthMode::kOAuth;
  } else {
    return fail(
        "none, bearer:TOKEN, basic:USER:PASS, api_key_header:NAME:VALUE, "
        "api_key_query:NAME:VALUE or oauth:CLIENT_ID:CLIENT_SECRET");
  }
  return auth;
}

std::string to_string(const AuthConfig& auth) {
  switch (auth.mode) {
    case AuthMode::kNone:
      return "none";
    case AuthMode::kBearer:
      return "bearer:" + auth.first;
    case AuthMode::kBasic:
      return "basic:" + auth.first + ":" + auth.second;
    case AuthMode::kApiKeyHeader:
      return "api_key_header:" + auth.first + ":" + auth.second;
    case AuthMode::kApiKeyQuery:
      return "api_key_query:" + auth.first + ":" + auth.second;
    case AuthMode::kOAuth:
      return "oauth:" + auth.first + ":" + auth.second;
  }
  return "none";
}

TokenIssuer::TokenIssuer() : random_(std::random_device{}()) {}

std::string TokenIssuer::random_token(std::string_view prefix) {
  std::string token(prefix);
  for (int i = 0; i < 2; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::uint64_t bits = random_();
    for (int shift = 60; shift >= 0; shift -= 4) token += kHex[(bits >> shift) & 15];
  }
  return token;
}

HttpResponse TokenIssuer::token_endpoint(const HttpRequest& request, const AuthConfig& auth) {
  if (auth.mode != AuthMode::kOAuth) {
    return json_response(404,
                         R"({"error":"not_found","error_description":"oauth is not enabled"})");
  }
  if (request.method != "POST") {
    return json_response(405, R"({"error":"invalid_request","error_description":"use POST"})");
  }
  const auto form = net::parse_form(request.body);
  std::string client_id;
  std::string client_secret;
  const auto basic = basic_pair(request);
  if (basic) {
    // RFC 6749 2.3.1: both are form-encoded before they are put into Basic credentials.
    client_id = net::form_decode(basic->first);
    client_secret = net::form_decode(basic->second);
  } else {
    if (const auto* id = find(form, "client_id")) client_id = *id;
    if (const auto* secret = find(form, "client_secret")) client_secret = *secret;
  }
  if (client_id != auth.first || client_secret != auth.second) {
    return unauthorized(R"({"error":"invalid_client"})",
                        basic ? R"(Basic realm="fake-rest")" : std::string());
  }

  const auto* grant = find(form, "grant_type");
  std::lock_guard lock(mutex_);
  if (grant != nullptr && *grant == "refresh_token") {
    const auto* refresh = find(form, "refresh_token");
    if (refresh == nullptr || refresh_.count(*refresh) == 0) {
      return json_response(400, R"({"error":"invalid_grant"})");
    }
  } else if (grant == nullptr || *grant != "client_credentials") {
    return json_response(400, R"({"error":"unsupported_grant_type"})");
  }

  const auto now = Clock::now();
  if (access_.size() > kPruneAbove) {
    std::erase_if(access_, [&](const auto& token) { return token.second <= now; });
  }
  std::string access = random_token("at_");
  std::string refresh = random_token("rt_");
  access_.emplace(access, now + lifetime_);
  refresh_.insert(refresh);
  ++issued_;
  std::string body = R"({"access_token":)";
  append_json_string(body, access);
  body.append(R"(,"token_type":"Bearer","expires_in":)");
  append_int(body, lifetime_.count());
  body.append(R"(,"refresh_token":)");
  append_json_string(body, refresh);
  body += '}';
  return json_response(200, std::move(body));
}

bool TokenIssuer::valid(std::string_view token) {
  std::lock_guard lock(mutex_);
  const auto it = access_.find(std::string(token));
  return it != access_.end() && Clock::now() < it->second;
}

void TokenIssuer::expire_all() {
  std::lock_guard lock(mutex_);
  access_.clear();
}

void TokenIssuer::set_lifetime(std::chrono::seconds lifetime) {
  std::lock_guard lock(mutex_);
  lifetime_ = lifetime;
}

std::uint64_t TokenIssuer::issued() const {
  std::lock_guard lock(mutex_);
  return issued_;
}

std::optional<HttpResponse> check_auth(const HttpRequest& request, const QueryParams& params,
                                       const AuthConfig& auth, TokenIssuer& tokens) {
  switch (auth.mode) {
    case AuthMode::kNone:
      return std::nullopt;
    case AuthMode::kBearer: {
      const auto token = credentials(request, "Bearer");
      if (token && *token == auth.first) return std::nullopt;
      return unauthorized(R"({"error":"invalid_token"})", token ? R"(Bearer error="invalid_token")"
                                                                : R"(Bearer realm="fake-rest")");
    }
    case AuthMode::kBasic: {
      const auto pair = basic_pair(request);
      if (pair && pair->first == auth.first && pair->second == auth.second) return std::nullopt;
      return unauthorized(R"({"error":"unauthorized"})", R"(Basic realm="fake-rest")");
    }
    case AuthMode::kApiKeyHeader: {
      const auto key = request.header(auth.first);
      if (key && *key == auth.second) return std::nullopt;
      return unauthorized(R"({"error":"invalid_api_key"})", "");
    }
    case AuthMode::kApiKeyQuery: {
      const auto* key = find(params, auth.first);
      if (key != nullptr && *key == auth.second) return std::nullopt;
      return unauthorized(R"({"error":"invalid_api_key"})", "");
    }
    case AuthMode::kOAuth: {
      const auto token = credentials(request, "Bearer");
      if (token && tokens.valid(*token)) return std::nullopt;
      return unauthorized(R"({"error":"invalid_token"})", R"(Bearer error="invalid_token")");
    }
  }
  return std::nullopt;
}

}  // namespace weft::fakes

#include "rest/authenticator.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "net/url.h"

namespace weft::rest {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::unique_ptr<Authenticator>> Authenticator::create(const AuthConfig& config,
                                                             net::HttpClient& client) {
  std::unique_ptr<Authenticator> auth(new Authenticator(config, client));
  Result<std::string> secret = std::string{};
  switch (config.type) {
    case AuthType::kNone:
      break;
    case AuthType::kBearer:
      secret = config.token.read("auth.token");
      break;
    case AuthType::kBasic:
      secret = config.password.read("auth.password");
      break;
    case AuthType::kApiKey:
      secret = config.key.read("auth.value");
      break;
    case AuthType::kOAuth2: {
      auto client_secret = config.oauth.client_secret.read("auth.oauth2.client_secret");
      if (!client_secret.ok()) return client_secret.error();
      auth->client_secret_ = std::move(*client_secret);
      secret = config.oauth.refresh_token.read("auth.oauth2.refresh_token");
      if (secret.ok()) auth->refresh_token_ = *secret;
      break;
    }
  }
  if (!secret.ok()) return secret.error();
  auth->token_ = std::move(*secret);
  return auth;
}

boost::asio::awaitable<Status> Authenticator::apply(net::ClientRequest& request) {
  switch (config_.type) {
    case AuthType::kNone:
      break;
    case AuthType::kBearer:
      request.headers.emplace_back("Authorization", "Bearer " + token_);
      break;
    case AuthType::kBasic:
      request.headers.emplace_back("Authorization",
                                   "Basic " + base64_encode(config_.username + ":" + token_));
      break;
    case AuthType::kApiKey:
      if (config_.key_in_query) {
        auto url = net::parse_url(request.url);
        if (!url.ok()) co_return url.error();
        url->target = net::with_query(url->target, {{config_.key_name, token_}});
        request.url = url->to_string();
      } else {
        request.headers.emplace_back(config_.key_name, config_.key_prefix + token_);
      }
      break;
    case AuthType::kOAuth2: {
      if (access_token_.empty() || std::chrono::steady_clock::now() >= renew_at_) {
        Status fetched = co_await fetch_token();
        if (!fetched.ok()) co_return fetched;
      }
      request.headers.emplace_back("Authorization", "Bearer " + access_token_);
      break;
    }
  }
  co_return Status{};
}

bool Authenticator::on_unauthorized() {
  if (config_.type != AuthType::kOAuth2) return false;
  access_token_.clear();
  return true;
}

boost::asio::awaitable<Status> Authenticator::fetch_token() {
  const OAuthConfig& o = config_.oauth;
  net::QueryParams form;
  if (o.refresh_grant) {
    form.emplace_back("grant_type", "refresh_token");
    form.emplace_back("refresh_token", refresh_token_);
  } else {
    form.emplace_back("grant_type", "client_credentials");
  }
  if (!o.scope.empty()) form.emplace_back("scope", o.scope);
  for (const auto& [name, value] : o.params) form.emplace_back(name, value);
  net::ClientRequest request;
  request.method = "POST";
  request.url = o.token_url;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  if (o.client_auth_basic) {
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
    request.headers.emplace_back("Authorization",
                                 "Basic " + base64_encode(net::percent_encode(o.client_id) + ":" +
                                                          net::percent_encode(client_secret_)));
  } else {
    form.emplace_back("client_id", o.client_id);
    if (!client_secret_.empty()) form.emplace_back("client_secret", client_secret_);
  }
  // The form body has the query syntax; with_query on an empty target builds "?a=b&c=d".
  request.body = net::with_query("", form).substr(1);
  ++token_requests_;
  const auto asked_at = std::chrono::steady_clock::now();
  auto response = co_await client_.send(request);
  const std::string where = "oauth2 token request to " + net::redact_url(o.token_url);
  if (!response.ok()) {
    Error e = response.error();
    co_return e.with_context("oauth2 token request");
  }
  // The error body of a token endpoint names the problem ("invalid_client"), not a secret.
  if (Status status = net::check_status(request, *response); !status.ok()) {
    Error e = status.error();
    co_return e.with_context("oauth2 token request");
  }
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("access_token") ||
      !body["access_token"].is_string()) {
    co_return Error::permanent(where + ": the response has no access_token");
  }
  access_token_ = body["access_token"].get<std::string>();
  if (body.contains("refresh_token") && body["refresh_token"].is_string()) {
    refresh_token_ = body["refresh_token"].get<std::string>();  // rotated by the server
  }
  std::chrono::seconds lifetime{3600};
  if (body.contains("expires_in") && body["expires_in"].is_number()) {
    lifetime = std::chrono::seconds(body["expires_in"].get<std::int64_t>());
  }
  auto margin = std::min<std::chrono::milliseconds>(o.refresh_before, lifetime / 2);
  renew_at_ = asked_at + lifetime - margin;
  co_return Status{};
}

}  // namespace weft::rest

#include "salesforce/session.h"

#include <charconv>
#include <utility>

namespace weft::salesforce {

std::optional<ApiUsage> parse_limit_info(std::string_view header) {
  // "api-usage=18/5000", possibly among other comma-separated entries.
  const auto at = header.find("api-usage=");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = header.substr(at + 10);
  ApiUsage usage;
  auto [slash, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), usage.used);
  if (ec != std::errc{} || slash == rest.data() + rest.size() || *slash != '/') return std::nullopt;
  auto [end, ec2] = std::from_chars(slash + 1, rest.data() + rest.size(), usage.limit);
  if (ec2 != std::errc{}) return std::nullopt;
  return usage;
}

Session::Session(std::shared_ptr<net::HttpClient> http, std::unique_ptr<OAuthClient> oauth,
                 std::string api_version)
    : http_(std::move(http)), oauth_(std::move(oauth)), api_version_(std::move(api_version)) {}

boost::asio::awaitable<Status> Session::login() {
  auto token = co_await oauth_->token();
  if (!token.ok()) co_return token.error();
  co_return Status{};
}

ApiUsage Session::usage() const { return {used_.load(), limit_.load()}; }

boost::asio::awaitable<Result<net::ClientResponse>> Session::send(std::string method,
                                                                  std::string path,
                                                                  std::string body,
                                                                  std::string content_type,
                                                                  std::string accept) {
  for (int attempt = 0;; ++attempt) {
    Result<AccessToken> token = AccessToken{};
    if (attempt == 0) {
      token = co_await oauth_->token();
    } else {
      token = co_await oauth_->renew();
    }
    if (!token.ok()) co_return token.error();
    net::ClientRequest request;
    request.method = method;
    request.url = token->instance_url + "/services/data/v" + api_version_ + path;
    request.headers.emplace_back("Authorization", "Bearer " + token->access_token);
    request.headers.emplace_back("Accept", accept);
    if (!body.empty()) request.headers.emplace_back("Content-Type", content_type);
    request.body = body;
    auto response = co_await http_->send(std::move(request));
    if (!response.ok()) co_return response.error();
    if (auto info = response->header("Sforce-Limit-Info")) {
      if (auto usage = parse_limit_info(*info)) {
        used_ = usage->used;
        limit_ = usage->limit;
      }
    }
    // The session expired (Salesforce tokens carry no lifetime): log in again, once.
    if (response->status == 401 && attempt == 0) continue;
    if (response->status == 401) {
      co_return Error::permanent("salesforce: " + method + " " + path +
                                 ": 401 even with a new session: " + response->body.substr(0, 200));
    }
    co_return std::move(*response);
  }
}

}  // namespace weft::salesforce

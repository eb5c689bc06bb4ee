// FakeRestApi: the request pipeline (admin or not, faults, rate limit, auth, the listing, the
// log, gzip) on net::HttpServer.
#include "fakes/fake_rest_api.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string>
#include <utility>

#include "common/text.h"
#include "fakes/admin_api.h"
#include "fakes/encoding.h"
#include "fakes/fake_rest_state.h"
#include "fakes/listing_apis.h"
#include "net/form_encoding.h"
#include "net/http_server.h"
#include "net/listen_address.h"

namespace weft::fakes {
namespace {

namespace asio = boost::asio;
using net::HttpRequest;
using net::HttpResponse;

constexpr std::size_t kGzipAbove = 1024;
constexpr int kSforceDailyLimit = 15000;

HttpResponse json_error(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

void compress(const HttpRequest& request, HttpResponse& response, bool enabled) {
  if (!enabled || response.body.size() <= kGzipAbove) return;
  const auto accepted = request.header("Accept-Encoding");
  if (!accepted || to_lower(*accepted).find("gzip") == std::string::npos) return;
  std::string packed = gzip_compress(response.body);
  if (packed.empty()) return;
  response.body = std::move(packed);
  response.headers.emplace_back("Content-Encoding", "gzip");
  response.headers.emplace_back("Vary", "Accept-Encoding");
}

HttpResponse fault_response(const Fault& fault) {
  HttpResponse response;
  response.status = fault.status;
  response.content_type = fault.content_type;
  if (fault.body.empty()) {
    response.body = R"({"error":"injected fault","status":)" + std::to_string(fault.status) + "}";
  } else {
    response.body = fault.body;
  }
  if (!fault.retry_after.empty()) response.headers.emplace_back("Retry-After", fault.retry_after);
  return response;
}

// "http://127.0.0.1:8080": the scheme and the Host header the client used, for absolute links.
std::string request_base_url(const FakeRestState& state, const HttpRequest& request) {
  std::string url = state.tls ? "https://" : "http://";
  if (const auto host = request.header("Host"); host && !host->empty()) {
    url.append(*host);
  } else {
    url.append(state.host).append(":").append(std::to_string(state.port));
  }
  return url;
}

HttpResponse serve_data(FakeRestState& state, const HttpRequest& request, const Settings& settings,
                        const RateInfo& rate) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = json_error(405, R"({"error":"method not allowed"})");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  const QueryParams params = net::parse_form(request.query());
  if (auto denied = check_auth(request, params, settings.auth, state.tokens)) {
    return std::move(*denied);
  }
  if (rate.over) {
    state.count_rate_limited();
    HttpResponse response = json_error(429, R"({"error":"rate limit exceeded"})");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }
  const std::string base_url = request_base_url(state, request);
  return answer_listing({request.path(), params, base_url}, state.records.snapshot());
}

void add_rate_headers(HttpResponse& response, const RateInfo& rate, const Settings& settings,
                      std::uint64_t api_usage) {
  response.headers.emplace_back("X-RateLimit-Limit", std::to_string(rate.limit));
  response.headers.emplace_back("X-RateLimit-Remaining", std::to_string(rate.remaining));
  response.headers.emplace_back("X-RateLimit-Reset", std::to_string(rate.reset));
  if (settings.sforce_limit_info) {
    response.headers.emplace_back("Sforce-Limit-Info", "api-usage=" + std::to_string(api_usage) +
                                                           "/" + std::to_string(kSforceDailyLimit));
  }
}

asio::awaitable<HttpResponse> handle(std::shared_ptr<FakeRestState> state, HttpRequest& request) {
  const std::string_view path = request.path();
  if (path == "/_admin" || path.starts_with("/_admin/")) {
    HttpResponse response = answer_admin(*state, request);
    compress(request, response, state->settings()->gzip);
    co_return std::move(response);
  }
  const auto settings = state->settings();
  const bool token_request = path == "/oauth/token";
  const bool data_request = !token_request && is_listing(path);
  std::optional<RateInfo> rate;
  if (data_request) rate = state->count_data_request(settings->rate_limit_per_second);

  std::optional<HttpResponse> answer;
  if (auto fault = state->take_fault(path, data_request)) {
    state->count_fault();
    if (fault->delay.count() > 0) {
      auto executor = co_await asio::this_coro::executor;
      asio::steady_timer timer(executor, fault->delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (fault->status != 0) answer = fault_response(*fault);
  }
  if (!answer) {
    if (token_request) {
      answer = state->tokens.token_endpoint(request, settings->auth);
    } else if (data_request) {
      answer = serve_data(*state, request, *settings, *rate);
    } else {
      answer = json_error(404, R"({"error":"not found"})");
    }
  }
  HttpResponse response = std::move(*answer);
  if (rate) add_rate_headers(response, *rate, *settings, state->data_requests());
  state->record(request, response.status, data_request, token_request);
  compress(request, response, settings->gzip);
  co_return std::move(response);
}

}  // namespace

Result<std::unique_ptr<FakeRestApi>> FakeRestApi::start(boost::asio::io_context& io,
                                                        FakeRestApiOptions options) {
  if (options.records < 0) return Error::invalid_config("fake-rest: records must be >= 0");
  if (options.rate_limit_per_second < 0) {
    return Error::invalid_config("fake-rest: rate_limit_per_second must be >= 0");
  }
  if (options.token_lifetime.count() < 1) {
    return Error::invalid_config("fake-rest: token_lifetime must be at least a second");
  }
  auto address = net::parse_listen_address(options.listen);
  if (!address.ok()) return address.error();

  auto state = std::make_shared<FakeRestState>(options);
  if (address->host == "0.0.0.0" || address->host == "::") {
    state->host = "127.0.0.1";
  } else {
    state->host = address->ipv6 ? "[" + address->host + "]" : address->host;
  }
  net::HttpServerOptions server_options;
  server_options.name = "fake-rest";
  server_options.listen = options.listen;
  server_options.tls_cert_file = options.tls_cert_file;
  server_options.tls_key_file = options.tls_key_file;
  auto server = net::HttpServer::start(
      io, std::move(server_options),
      [state](HttpRequest& request) { return handle(state, request); },
      [](std::string_view, std::string_view target) -> std::size_t {
        return target.starts_with("/_admin/") ? kAdminBodyLimit : 0;
      });
  if (!server.ok()) return server.error();
  state->port = (*server)->port();
  return std::make_unique<FakeRestApi>(std::move(state), std::move(server).value());
}

FakeRestApi::FakeRestApi(std::shared_ptr<FakeRestState> state,
                         std::unique_ptr<net::HttpServer> server)
    : state_(std::move(state)), server_(std::move(server)) {}

FakeRestApi::~FakeRestApi() { stop(); }

unsigned short FakeRestApi::port() const { return server_->port(); }

std::string FakeRestApi::base_url() const {
  return std::string(state_->tls ? "https://" : "http://") + state_->host + ":" +
         std::to_string(port());
}

void FakeRestApi::stop() { server_->stop(); }

Status FakeRestApi::upsert_record(const nlohmann::json& records) {
  const auto upserted = state_->records.upsert(records);
  if (!upserted.ok()) return upserted.error();
  return {};
}

Status FakeRestApi::add_fault(Fault fault) { return state_->add_fault(std::move(fault)); }

void FakeRestApi::clear_faults() { state_->clear_faults(); }

std::vector<LoggedRequest> FakeRestApi::requests() const { return state_->requests(); }

void FakeRestApi::clear_requests() { state_->clear_requests(); }

void FakeRestApi::expire_tokens() { state_->tokens.expire_all(); }

Status FakeRestApi::configure(const nlohmann::json& settings) {
  return state_->configure(settings);
}

FakeRestStats FakeRestApi::stats() const { return state_->stats(); }

}  // namespace weft::fakes

// FakeSalesforce: the request pipeline (admin or not, latency, in-flight count, token endpoint,
// session check, API usage and limit, then Collections, sObject or Bulk) on net::HttpServer.
#include "fakes/salesforce/fake_salesforce.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string>
#include <utility>

#include "common/text.h"
#include "fakes/salesforce/admin_api.h"
#include "fakes/salesforce/collections.h"
#include "fakes/salesforce/query.h"
#include "fakes/salesforce/salesforce_state.h"
#include "net/http_server.h"
#include "net/listen_address.h"

namespace weft::fakes::salesforce {
namespace {

namespace asio = boost::asio;
using net::HttpRequest;
using net::HttpResponse;

constexpr std::string_view kTokenPath = "/services/oauth2/token";
constexpr std::string_view kDataPrefix = "/services/data/";
constexpr std::size_t kAdminBodyLimit = 64 * 1024 * 1024;
constexpr std::size_t kBulkBodyLimit = 150 * 1024 * 1024;  // Bulk API 2.0's per-job upload bound
constexpr std::size_t kDataBodyLimit = 32 * 1024 * 1024;

// Counts a request as in flight for as long as it lives.
class InFlight {
 public:
  explicit InFlight(SalesforceState& state) : state_(state) { state_.enter(); }
  ~InFlight() { state_.leave(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  SalesforceState& state_;
};

bool is_version(std::string_view text) {
  if (text.size() < 4 || text[0] != 'v') return false;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 1 || dot + 1 == text.size()) return false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (i != dot && (text[i] < '0' || text[i] > '9')) return false;
  }
  return true;
}

bool session_valid(const HttpRequest& request, SessionIssuer& sessions) {
  const auto header = request.header("Authorization");
  if (!header) return false;
  const std::string_view value = trim(*header);
  if (value.size() < 8 || !iequals(value.substr(0, 7), "Bearer ")) return false;
  return sessions.valid(trim(value.substr(7)));
}

// A request under /services/data/ from a valid session, already counted: the resource it names.
HttpResponse route_data(SalesforceState& state, const HttpRequest& request,
                        const Settings& settings) {
  std::string_view path = request.path();
  path.remove_prefix(kDataPrefix.size());
  const auto slash = path.find('/');
  const std::string_view version = path.substr(0, slash);
  if (!is_version(version) || slash == std::string_view::npos) {
    return api_error(404, "NOT_FOUND", "The requested resource does not exist");
  }
  const std::string_view resource = path.substr(slash + 1);
  const auto under = [&](std::string_view prefix) {
    return resource == prefix || (resource.starts_with(prefix) && resource[prefix.size()] == '/');
  };
  if (under("composite/sobjects")) {
    state.count_collections_request();
    return answer_collections(state.store, request, resource.substr(18));
  }
  if (resource.starts_with("sobjects/"))
    return answer_sobject(state.store, request, resource.substr(9));
  if (resource == "query") return answer_query(state.store, request);
  if (under("jobs/ingest")) {
    return state.bulk.answer(request, resource.substr(11), version.substr(1), settings.bulk_polls);
  }
  return api_error(404, "NOT_FOUND", "The requested resource does not exist");
}

HttpResponse answer_data(SalesforceState& state, const HttpRequest& request,
                         const Settings& settings) {
  if (!session_valid(request, state.sessions)) {
    state.count_unauthorized();
    return api_error(401, "INVALID_SESSION_ID", "Session expired or invalid");
  }
  const std::uint64_t usage = state.count_data_request();
  HttpResponse response;
  if (static_cast<std::int64_t>(usage) > settings.api_limit) {
    state.count_limit_exceeded();
    response = api_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
  } else {
    response = route_data(state, request, settings);
  }
  response.headers.emplace_back("Sforce-Limit-Info", "api-usage=" + std::to_string(usage) + "/" +
                                                         std::to_string(settings.api_limit));
  return response;
}

asio::awaitable<HttpResponse> handle(std::shared_ptr<SalesforceState> state, HttpRequest& request) {
  const std::string_view path = request.path();
  if (path == "/_admin" || path.starts_with("/_admin/")) {
    HttpResponse response = answer_admin(*state, request);
    co_return std::move(response);
  }
  InFlight in_flight(*state);
  const auto settings = state->settings();
  if (settings->latency.count() > 0) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, settings->latency);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  HttpResponse response;
  if (path == kTokenPath) {
    std::string grant_type;
    response = answer_token(request, settings->credentials, state->sessions, state->base_url(),
                            grant_type);
    state->count_token_request(grant_type);
  } else if (path.starts_with(kDataPrefix)) {
    response = answer_data(*state, request, *settings);
  } else {
    response = api_error(404, "NOT_FOUND", "The requested resource does not exist");
  }
  co_return std::move(response);
}

}  // namespace

nlohmann::json to_json(const FakeSalesforceStats& stats) {
  return {{"token_requests", stats.token_requests},
          {"data_requests", stats.data_requests},
          {"unauthorized", stats.unauthorized},
          {"limit_exceeded", stats.limit_exceeded},
          {"collections_requests", stats.collections_requests},
          {"bulk_jobs", stats.bulk_jobs},
          {"in_flight", stats.in_flight},
          {"max_in_flight", stats.max_in_flight},
          {"records", stats.records}};
}

Result<std::unique_ptr<FakeSalesforce>> FakeSalesforce::start(boost::asio::io_context& io,
                                                              FakeSalesforceOptions options) {
  auto settings = settings_from_options(options);
  if (!settings.ok()) return settings.error();
  auto address = net::parse_listen_address(options.listen);
  if (!address.ok()) return address.error();
  std::string host = address->host;
  if (host == "0.0.0.0" || host == "::") {
    host = "127.0.0.1";
  } else if (address->ipv6) {
    host = "[" + host + "]";
  }

  auto state = std::make_shared<SalesforceState>(std::move(settings).value(), options.shuffle_seed);
  net::HttpServerOptions server_options;
  server_options.name = "fake-salesforce";
  server_options.listen = options.listen;
  auto server = net::HttpServer::start(
      io, std::move(server_options),
      [state](HttpRequest& request) { return handle(state, request); },
      [](std::string_view method, std::string_view target) -> std::size_t {
        if (target.starts_with("/_admin/")) return kAdminBodyLimit;
        if (method == "PUT" && target.find("/jobs/ingest/") != std::string_view::npos) {
          return kBulkBodyLimit;
        }
        return target.starts_with(kDataPrefix) ? kDataBodyLimit : 0;
      });
  if (!server.ok()) return server.error();
  state->set_base_url("http://" + host + ":" + std::to_string((*server)->port()));
  return std::make_unique<FakeSalesforce>(std::move(state), std::move(server).value());
}

FakeSalesforce::FakeSalesforce(std::shared_ptr<SalesforceState> state,
                               std::unique_ptr<net::HttpServer> server)
    : state_(std::move(state)), server_(std::move(server)) {}

FakeSalesforce::~FakeSalesforce() { stop(); }

unsigned short FakeSalesforce::port() const { return server_->port(); }

std::string FakeSalesforce::base_url() const { return state_->base_url(); }

void FakeSalesforce::stop() { server_->stop(); }

Status FakeSalesforce::configure(const nlohmann::json& settings) {
  return state_->configure(settings);
}

nlohmann::json FakeSalesforce::config() const { return state_->config_json(); }

Status FakeSalesforce::inject_error(const nlohmann::json& error) {
  auto injected = injected_error_from_json(error);
  if (!injected.ok()) return injected.error();
  state_->store.inject(std::move(injected).value());
  return {};
}

void FakeSalesforce::clear_injected_errors() { state_->store.clear_injected(); }

void FakeSalesforce::expire_sessions() { state_->sessions.expire_all(); }

nlohmann::json FakeSalesforce::records(const std::string& object) const {
  return state_->store.records(object);
}

void FakeSalesforce::clear_records() { state_->store.clear(); }

FakeSalesforceStats FakeSalesforce::stats() const { return state_->stats(); }

}  // namespace weft::fakes::salesforce

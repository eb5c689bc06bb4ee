#include "fakes/admin_api.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/fake_rest_state.h"

namespace weft::fakes {
namespace {

using net::HttpRequest;
using net::HttpResponse;

HttpResponse json_response(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

HttpResponse error(int status, const std::string& message) {
  return json_response(status, {{"error", message}});
}

// The request body as JSON, or the 400 to answer.
std::optional<nlohmann::json> parse_body(const HttpRequest& request, HttpResponse& failure) {
  auto json = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    failure = error(400, "the body is not JSON");
    return std::nullopt;
  }
  return json;
}

nlohmann::json config_json(const Settings& settings) {
  return {{"auth", to_string(settings.auth)},
          {"gzip", settings.gzip},
          {"rate_limit_per_second", settings.rate_limit_per_second},
          {"sforce_limit_info", settings.sforce_limit_info}};
}

HttpResponse post_records(FakeRestState& state, const HttpRequest& request) {
  HttpResponse failure;
  const auto body = parse_body(request, failure);
  if (!body) return failure;
  const auto upserted = state.records.upsert(*body);
  if (!upserted.ok()) return error(400, upserted.error().message());
  return json_response(200,
                       {{"upserted", *upserted}, {"records", state.records.snapshot()->size()}});
}

HttpResponse post_faults(FakeRestState& state, const HttpRequest& request) {
  HttpResponse failure;
  const auto body = parse_body(request, failure);
  if (!body) return failure;
  std::vector<Fault> faults;
  for (const auto& item : body->is_array() ? *body : nlohmann::json::array({*body})) {
    auto fault = fault_from_json(item);
    if (!fault.ok()) return error(400, fault.error().message());
    if (fault->close) {
      return error(400, "fault: close is not supported: net::HttpServer always answers a request");
    }
    faults.push_back(std::move(fault).value());
  }
  for (auto& fault : faults) {
    const Status added = state.add_fault(std::move(fault));
    if (!added.ok()) return error(400, added.error().message());
  }
  return json_response(200, {{"queued", faults.size()}});
}

HttpResponse get_requests(const FakeRestState& state) {
  nlohmann::json log = nlohmann::json::array();
  for (const auto& entry : state.requests()) log.push_back(to_json(entry));
  return json_response(200, log);
}

}  // namespace

HttpResponse answer_admin(FakeRestState& state, const HttpRequest& request) {
  const std::string_view path = request.path();
  const std::string& method = request.method;
  const auto wrong_method = [&] {
    return error(405, "method not allowed on " + std::string(path));
  };
  if (path == "/_admin/health") {
    return method == "GET" ? json_response(200, {{"status", "ok"}}) : wrong_method();
  }
  if (path == "/_admin/records") {
    return method == "POST" ? post_records(state, request) : wrong_method();
  }
  if (path == "/_admin/faults") {
    if (method == "POST") return post_faults(state, request);
    if (method != "DELETE") return wrong_method();
    state.clear_faults();
    return json_response(200, {{"cleared", true}});
  }
  if (path == "/_admin/expire-tokens") {
    if (method != "POST") return wrong_method();
    state.tokens.expire_all();
    return json_response(200, {{"expired", true}});
  }
  if (path == "/_admin/requests") {
    if (method == "GET") return get_requests(state);
    if (method != "DELETE") return wrong_method();
    state.clear_requests();
    return json_response(200, {{"cleared", true}});
  }
  if (path == "/_admin/stats") {
    return method == "GET" ? json_response(200, to_json(state.stats())) : wrong_method();
  }
  if (path == "/_admin/config") {
    if (method == "POST") {
      HttpResponse failure;
      const auto body = parse_body(request, failure);
      if (!body) return failure;
      const Status configured = state.configure(*body);
      if (!configured.ok()) return error(400, configured.error().message());
    } else if (method != "GET") {
      return wrong_method();
    }
    return json_response(200, config_json(*state.settings()));
  }
  return error(404, "no such admin endpoint: " + std::string(path));
}

}  // namespace weft::fakes

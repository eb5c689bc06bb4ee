#include "fakes/salesforce/admin_api.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/salesforce/salesforce_state.h"

namespace weft::fakes::salesforce {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

HttpResponse error(int status, const std::string& message) {
  return json_response(status, {{"error", message}});
}

HttpResponse post_config(SalesforceState& state, const HttpRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return error(400, "the body is not JSON");
  const Status configured = state.configure(body);
  if (!configured.ok()) return error(400, configured.error().message());
  return json_response(200, state.config_json());
}

HttpResponse post_errors(SalesforceState& state, const HttpRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return error(400, "the body is not JSON");
  std::vector<InjectedError> errors;
  for (const auto& item : body.is_array() ? body : json::array({body})) {
    auto injected = injected_error_from_json(item);
    if (!injected.ok()) return error(400, injected.error().message());
    errors.push_back(std::move(injected).value());
  }
  for (auto& injected : errors) state.store.inject(std::move(injected));
  return json_response(200, {{"injected", errors.size()}});
}

}  // namespace

HttpResponse answer_admin(SalesforceState& state, const HttpRequest& request) {
  const std::string_view path = request.path();
  const std::string& method = request.method;
  const auto wrong_method = [&] {
    return error(405, "method not allowed on " + std::string(path));
  };
  if (path == "/_admin/health") {
    return method == "GET" ? json_response(200, {{"status", "ok"}}) : wrong_method();
  }
  if (path == "/_admin/config") {
    if (method == "POST") return post_config(state, request);
    return method == "GET" ? json_response(200, state.config_json()) : wrong_method();
  }
  if (path == "/_admin/errors") {
    if (method == "POST") return post_errors(state, request);
    if (method != "DELETE") return wrong_method();
    state.store.clear_injected();
    return json_response(200, {{"cleared", true}});
  }
  if (path == "/_admin/expire-sessions") {
    if (method != "POST") return wrong_method();
    state.sessions.expire_all();
    return json_response(200, {{"expired", true}});
  }
  if (path == "/_admin/records") {
    if (method != "DELETE") return wrong_method();
    state.store.clear();
    return json_response(200, {{"cleared", true}});
  }
  if (path.starts_with("/_admin/records/") && path.size() > 16) {
    if (method != "GET") return wrong_method();
    return json_response(200, state.store.records(std::string(path.substr(16))));
  }
  if (path == "/_admin/stats") {
    return method == "GET" ? json_response(200, to_json(state.stats())) : wrong_method();
  }
  return error(404, "no such admin endpoint: " + std::string(path));
}

}  // namespace weft::fakes::salesforce

#include "admin/admin_routes.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <exception>
#include <optional>

#include "admin/admin_server.h"
#include "admin/dlq_routes.h"
#include "common/text.h"

namespace weft::admin {
namespace {

using nlohmann::json;

constexpr std::string_view kPipelinesPrefix = "/api/pipelines/";
constexpr std::string_view kTriggerSuffix = "/trigger";


// The token of "Bearer <token>" (scheme case-insensitive, RFC 7235), or nullopt.
std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "Bearer")) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(space);
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

// The 401 never repeats what the client sent: a token in a response body ends up in logs.
AdminResponse unauthorized(bool token_supplied) {
  AdminResponse response = error_response(
      401, token_supplied ? "invalid bearer token" : "missing bearer token: send Authorization: "
                                                     "Bearer <admin.token>");
  response.headers.emplace_back(
      "WWW-Authenticate",
      token_supplied ? R"(Bearer realm="weft", error="invalid_token")" : R"(Bearer realm="weft")");
  return response;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The method a known path answers, or nullopt for an unknown path.
std::optional<std::string_view> allowed_method(std::string_view path) {
  if (path.starts_with(kPipelinesPrefix) && path.ends_with(kTriggerSuffix) &&
      path.size() > kPipelinesPrefix.size() + kTriggerSuffix.size() &&
      path.find('/', kPipelinesPrefix.size()) == path.size() - kTriggerSuffix.size()) {
    return "POST";
  }
  if (path == "/healthz" || path == "/readyz" || path == "/metrics" ||
      path == "/api/pipelines" ||
      (path.size() > kPipelinesPrefix.size() && path.starts_with(kPipelinesPrefix) &&
       path.find('/', kPipelinesPrefix.size()) == std::string_view::npos)) {
    return "GET";
  }
  return dlq_allowed_method(path);
}

bool is_dlq_path(std::string_view path) {
  return path == "/api/dlq" || path.starts_with("/api/dlq/");
}

}  // namespace

AdminResponse json_response(int status, const json& body) {
  // Pipeline names and error messages come from users: replace invalid UTF-8 instead of throwing.
  return {status, std::string(kJsonContentType),
          body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

AdminResponse error_response(int status, const std::string& message) {
  return json_response(status, json{{"error", message}});
}

AdminResponse method_not_allowed(std::string_view method, std::string_view path,
                                 std::string_view allow) {
  AdminResponse response = error_response(
      405, "method " + std::string(method) + " not allowed on " + std::string(path));
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
      continue;
    }
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Walk all of `b` (the secret) whatever `a` holds; only the length of `a`, which the caller
  // chose, influences the timing.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff = diff | static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

AdminRouter::AdminRouter(prometheus::Registry& metrics, StatusProvider& status,
                         std::string bearer_token, StateStore* dead_letters)
    : metrics_(metrics),
      status_(status),
      bearer_token_(std::move(bearer_token)),
      dlq_(dead_letters != nullptr ? std::make_unique<DlqRoutes>(*dead_letters) : nullptr) {}

AdminRouter::AdminRouter(AdminRouter&&) noexcept = default;
AdminRouter::~AdminRouter() = default;

AdminResponse AdminRouter::handle(const AdminRequest& request) const {
  const std::string_view path = request.target.substr(0, request.target.find('?'));
  if (!bearer_token_.empty() && path != "/healthz") {
    const auto token = bearer_credentials(request.authorization);
    if (!token || !constant_time_equals(*token, bearer_token_)) {
      return unauthorized(!request.authorization.empty());
    }
  }
  const auto allowed = allowed_method(path);
  if (!allowed) return error_response(404, "not found: " + std::string(path));
  if (request.method != *allowed) return method_not_allowed(request.method, path, *allowed);
  try {
    return route(request, path);
  } catch (const std::exception& e) {
    spdlog::error("admin: {} {} failed: {}", request.method, path, e.what());
  } catch (...) {
    spdlog::error("admin: {} {} failed with an unknown exception", request.method, path);
  }
  return error_response(500, "internal error; see the weft log");
}

AdminResponse AdminRouter::route(const AdminRequest& request, std::string_view path) const {
  if (is_dlq_path(path)) {
    if (!dlq_) {
      return error_response(503, "the dead-letter queue is not available: this admin server has "
                                 "no state store");
    }
    return dlq_->handle(request);
  }
  if (path == "/healthz") return json_response(200, json{{"status", "ok"}});
  if (path == "/readyz") {
    const std::vector<std::string> reasons = status_.not_ready_reasons();
    if (reasons.empty()) return json_response(200, json{{"status", "ready"}});
    return json_response(503, json{{"status", "not ready"}, {"reasons", reasons}});
  }
  if (path == "/metrics") {
    return {200, std::string(kMetricsContentType),
            prometheus::TextSerializer().Serialize(metrics_.Collect()), {}};
  }
  if (path == "/api/pipelines") return json_response(200, status_.pipelines());

  std::string_view raw_name = path.substr(kPipelinesPrefix.size());
  if (request.method == "POST") raw_name.remove_suffix(kTriggerSuffix.size());
  const std::string name = percent_decode(raw_name).value_or(std::string(raw_name));
  if (request.method == "POST") return trigger(name);
  if (auto pipeline = status_.pipeline(name)) return json_response(200, *pipeline);
  return error_response(404, "no pipeline named '" + name + "'");
}

AdminResponse AdminRouter::trigger(const std::string& name) const {
  using Outcome = StatusProvider::TriggerOutcome;
  switch (status_.trigger(name)) {
    case Outcome::kStarted:
      return json_response(202, json{{"pipeline", name}, {"triggered", true}});
    case Outcome::kNoSuchPipeline: return error_response(404, "no pipeline named '" + name + "'");
    case Outcome::kNotRunning:
      return error_response(409, "pipeline '" + name + "' is not running; see /api/pipelines/" +
                                     name + " for its state");
    case Outcome::kNotScheduled: break;
  }
  return error_response(409, "pipeline '" + name +
                                 "' has no scheduled runs to trigger (only sources that poll on "
                                 "a schedule, such as rest, have them)");
}

}  // namespace weft::admin

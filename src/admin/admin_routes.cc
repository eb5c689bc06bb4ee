#include "admin/admin_routes.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <exception>
#include <optional>

#include "admin/admin_server.h"
#include "admin/dlq_routes.h"
#include "common/text.h"

namespace weft::admin {
namespace {

using nlohmann::json;

constexpr std::string_view kPipelinesPrefix = "/api/pipelines/";
constexpr std::size_t kDefaultTapLimit = 10;
constexpr std::size_t kMaxTapLimit = 100000;

// "/api/pipelines/{name}/{action}" split into its (still percent-encoded) name and action; the
// action is empty for "/api/pipelines/{name}". nullopt for any other path.
struct PipelinePath {
  std::string_view name;
  std::string_view action;
};
std::optional<PipelinePath> pipeline_path(std::string_view path) {
  if (!path.starts_with(kPipelinesPrefix)) return std::nullopt;
  std::string_view rest = path.substr(kPipelinesPrefix.size());
  const auto slash = rest.find('/');
  PipelinePath out{rest.substr(0, slash), {}};
  if (slash != std::string_view::npos) out.action = rest.substr(slash + 1);
  if (out.name.empty() || out.action.find('/') != std::string_view::npos) return std::nullopt;
  if (slash != std::string_view::npos && out.action.empty()) return std::nullopt;
  return out;
}

// The value of `name` in a query string ("stage=sink&limit=5"), percent-decoded.
std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      return percent_decode(raw, true).value_or(std::string(raw));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// Endpoints probes call: open even when the admin API requires a token.
bool is_probe(std::string_view path) { return path == "/healthz" || path == "/readyz"; }


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
  if (auto p = pipeline_path(path)) {
    if (p->action.empty() || p->action == "tap") return "GET";
    if (p->action == "trigger" || p->action == "pause" || p->action == "resume") return "POST";
    return std::nullopt;
  }
  if (path == "/healthz" || path == "/readyz" || path == "/metrics" ||
      path == "/api/pipelines") {
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
          body.dump(-1, ' ', false, json::error_handler_t::replace), {}, nullptr};
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
  if (!bearer_token_.empty() && !is_probe(path)) {
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
    std::vector<std::string> reasons = status_.not_ready_reasons();
    const bool ready = reasons.empty();
    for (auto& notice : status_.notices()) reasons.push_back(std::move(notice));
    json body = {{"status", ready ? "ready" : "not ready"}};
    if (!reasons.empty()) body["reasons"] = reasons;
    return json_response(ready ? 200 : 503, body);
  }
  if (path == "/metrics") {
    return {200, std::string(kMetricsContentType),
            prometheus::TextSerializer().Serialize(metrics_.Collect()), {}, nullptr};
  }
  if (path == "/api/pipelines") return json_response(200, status_.pipelines());

  const PipelinePath p = *pipeline_path(path);
  const std::string name = percent_decode(p.name).value_or(std::string(p.name));
  if (p.action == "trigger") return trigger(name);
  if (p.action == "pause" || p.action == "resume") return set_paused(name, p.action == "pause");
  if (p.action == "tap") return tap(name, request.target);
  if (auto pipeline = status_.pipeline(name)) return json_response(200, *pipeline);
  return error_response(404, "no pipeline named '" + name + "'");
}

AdminResponse AdminRouter::set_paused(const std::string& name, bool paused) const {
  Result<bool> done = status_.set_paused(name, paused);
  if (!done.ok()) {
    return error_response(500, std::string(paused ? "pause" : "resume") + " of pipeline '" +
                                   name + "' not saved: " + done.error().message());
  }
  if (!*done) return error_response(404, "no pipeline named '" + name + "'");
  return json_response(200, json{{"pipeline", name}, {"paused", paused}});
}

AdminResponse AdminRouter::tap(const std::string& name, std::string_view target) const {
  const auto question = target.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const std::string stage_text = query_value(query, "stage").value_or("source");
  const auto stage = parse_tap_stage(stage_text);
  if (!stage) {
    return error_response(400, "stage: expected source, mapped or sink, got '" + stage_text +
                                   "'");
  }
  std::size_t limit = kDefaultTapLimit;
  if (auto text = query_value(query, "limit")) {
    std::size_t parsed = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
    if (ec != std::errc() || end != text->data() + text->size() || parsed == 0 ||
        parsed > kMaxTapLimit) {
      return error_response(400, "limit: expected a whole number from 1 to " +
                                     std::to_string(kMaxTapLimit) + ", got '" + *text + "'");
    }
    limit = parsed;
  }
  auto stream = status_.tap(name, *stage, limit);
  if (!stream) return error_response(404, "no pipeline named '" + name + "'");
  AdminResponse response{200, std::string(kNdjsonContentType), {}, {}, nullptr};
  response.stream = std::move(stream);
  return response;
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

#pragma once

// The admin server's request handling without any I/O: (method, target, Authorization, body) in,
// a complete response out. admin_server.cc does the HTTP; tests call AdminRouter directly.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace prometheus {
class Registry;
}

namespace weft {
class StateStore;
class StatusProvider;
class TapStream;
}  // namespace weft

namespace weft::admin {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kNdjsonContentType = "application/x-ndjson";

struct AdminRequest {
  std::string_view method;         // e.g. "GET"
  std::string_view target;         // the request-target: path and optional "?query"
  std::string_view authorization;  // the Authorization header; empty when absent
  std::string_view body = {};      // the request body (POST /api/dlq/...); empty when none
};

struct AdminResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Allow, WWW-Authenticate
  // Set for a streamed response (`weft tap`): the body is these lines, each ended by '\n', as
  // they come, sent chunked; `body` is unused.
  std::shared_ptr<TapStream> stream;
};

// A JSON response; invalid UTF-8 in strings (user-chosen names, error texts) is replaced.
AdminResponse json_response(int status, const nlohmann::json& body);
// {"error": message}.
AdminResponse error_response(int status, const std::string& message);
// 405 "method M not allowed on PATH" with `Allow: allow`.
AdminResponse method_not_allowed(std::string_view method, std::string_view path,
                                 std::string_view allow);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings); nullopt
// when an escape is malformed.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

class DlqRoutes;

// Routes requests to the StatusProvider, the metrics registry and the dead-letter queue (see
// admin_server.h for the routes). Checks the bearer token before anything else except on the
// probes (/healthz, /readyz), so an unauthorised client learns nothing, not even which paths
// exist.
class AdminRouter {
 public:
  // `metrics`, `status` and `dead_letters` must outlive the router. An empty `bearer_token`
  // disables the check. Without a store (nullptr), the /api/dlq routes answer 503.
  AdminRouter(prometheus::Registry& metrics, StatusProvider& status, std::string bearer_token,
              StateStore* dead_letters = nullptr);
  AdminRouter(AdminRouter&&) noexcept;
  ~AdminRouter();

  // Thread-safe (it relies on the registry's, the provider's and the store's own
  // thread-safety). Never throws: an exception from the provider is logged and becomes a 500
  // with a generic message.
  AdminResponse handle(const AdminRequest& request) const;

 private:
  // A known path, the right method, authorised.
  AdminResponse route(const AdminRequest& request, std::string_view path) const;
  AdminResponse trigger(const std::string& name) const;
  AdminResponse set_paused(const std::string& name, bool paused) const;
  AdminResponse tap(const std::string& name, std::string_view target) const;

  prometheus::Registry& metrics_;
  StatusProvider& status_;
  std::string bearer_token_;
  std::unique_ptr<DlqRoutes> dlq_;  // null without a state store
};

// True when `a` and `b` are equal; takes the same time for every `a` of a given length, so
// comparing a supplied token with the expected one does not reveal how many leading bytes match.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace weft::admin

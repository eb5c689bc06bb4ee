#pragma once

// The admin server's request handling without any I/O: (method, target, Authorization) in, a
// complete response out. admin_server.cc does the HTTP; tests call AdminRouter directly.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prometheus {
class Registry;
}

namespace weft {
class StatusProvider;
}

namespace weft::admin {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct AdminRequest {
  std::string_view method;         // e.g. "GET"
  std::string_view target;         // the request-target; a query string is ignored
  std::string_view authorization;  // the Authorization header; empty when absent
};

struct AdminResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Allow, WWW-Authenticate
};

// Routes requests to the StatusProvider and the metrics registry (see admin_server.h for the
// routes). Checks the bearer token before anything else except on /healthz, so an unauthorised
// client learns nothing, not even which paths exist.
class AdminRouter {
 public:
  // `metrics` and `status` must outlive the router. An empty `bearer_token` disables the check.
  AdminRouter(prometheus::Registry& metrics, StatusProvider& status, std::string bearer_token);

  // Thread-safe (it relies on the registry's and the provider's own thread-safety). Never throws:
  // an exception from the provider is logged and becomes a 500 with a generic message.
  AdminResponse handle(const AdminRequest& request) const;

 private:
  AdminResponse route(std::string_view path) const;  // a known path, GET, authorised

  prometheus::Registry& metrics_;
  StatusProvider& status_;
  std::string bearer_token_;
};

// True when `a` and `b` are equal; takes the same time for every `a` of a given length, so
// comparing a supplied token with the expected one does not reveal how many leading bytes match.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace weft::admin

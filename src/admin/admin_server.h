#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/status.h"

namespace boost::asio {
class io_context;
}
namespace prometheus {
class Registry;
}

namespace weft {

// What the admin server asks the daemon. Implementations must be thread-safe: requests are
// served on the io_context's threads while pipelines change state.
class StatusProvider {
 public:
  virtual ~StatusProvider() = default;
  // Empty when the daemon is ready; otherwise one sentence per problem, e.g.
  // "pipeline orders: failed: sink file: cannot open ...".
  virtual std::vector<std::string> not_ready_reasons() const = 0;
  virtual nlohmann::json pipelines() const = 0;  // array of pipeline objects
  virtual std::optional<nlohmann::json> pipeline(const std::string& name) const = 0;
};

struct AdminOptions {
  std::string listen = "127.0.0.1:8686";  // host:port; port 0 picks a free port
  std::string bearer_token;               // empty: no authentication
};

// The HTTP operations surface (Boost.Beast):
//   GET /healthz              200 {"status":"ok"}
//   GET /readyz               200 {"status":"ready"} or 503 {"status":"not ready","reasons":[...]}
//   GET /metrics              Prometheus text exposition of `metrics`
//   GET /api/pipelines        200 [ ... ]
//   GET /api/pipelines/{name} 200 {...} or 404
// With a token, every request except /healthz must carry "Authorization: Bearer <token>" (401
// otherwise). Each connection has a read timeout and a request body limit.
class AdminServer {
 public:
  // Binds and listens before returning, so "address in use" is reported at start-up.
  // `io`, `metrics` and `status` must outlive the server.
  static Result<std::unique_ptr<AdminServer>> start(boost::asio::io_context& io,
                                                    const AdminOptions& options,
                                                    prometheus::Registry& metrics,
                                                    StatusProvider& status);
  virtual ~AdminServer() = default;

  virtual unsigned short port() const = 0;
  // Stops accepting and closes open connections. Safe to call more than once.
  virtual void stop() = 0;
};

}  // namespace weft

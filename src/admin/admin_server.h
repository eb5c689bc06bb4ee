#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/tap_stream.h"
#include "weft/status.h"

namespace boost::asio {
class io_context;
}
namespace prometheus {
class Registry;
}

namespace weft {

class StateStore;

// What the admin server asks the daemon. Implementations must be thread-safe: requests are
// served on the io_context's threads while pipelines change state.
class StatusProvider {
 public:
  enum class TriggerOutcome { kStarted, kNoSuchPipeline, kNotRunning, kNotScheduled };

  virtual ~StatusProvider() = default;
  // Empty when the daemon is ready; otherwise one sentence per problem, e.g.
  // "pipeline orders: failed: sink file: cannot open ...".
  virtual std::vector<std::string> not_ready_reasons() const = 0;
  virtual nlohmann::json pipelines() const = 0;  // array of pipeline objects
  virtual std::optional<nlohmann::json> pipeline(const std::string& name) const = 0;
  // Starts the named pipeline's next scheduled run now (`weft trigger`).
  virtual TriggerOutcome trigger(const std::string& name) {
    (void)name;
    return TriggerOutcome::kNotScheduled;
  }
  // Things worth knowing that do not make the daemon unready, e.g. "pipeline orders: paused by
  // an operator since ...". /readyz lists them with its reasons.
  virtual std::vector<std::string> notices() const { return {}; }
  // Pauses or resumes the named pipeline (`weft pause`, `weft resume`) and remembers the choice
  // across restarts. False when there is no such pipeline; an Error when it could not be saved.
  virtual Result<bool> set_paused(const std::string& name, bool paused) {
    (void)name;
    (void)paused;
    return false;
  }
  // Up to `limit` records the named pipeline sees at `stage` from now on (`weft tap`); nullptr
  // when there is no such pipeline.
  virtual std::shared_ptr<TapStream> tap(const std::string& name, TapStage stage,
                                         std::size_t limit) {
    (void)name;
    (void)stage;
    (void)limit;
    return nullptr;
  }
};

struct AdminOptions {
  std::string listen = "127.0.0.1:8686";  // host:port; port 0 picks a free port
  std::string bearer_token;               // empty: no authentication
  // How long a connection may take to send one request (or to accept one response) before it
  // is closed; also bounds how long an idle keep-alive connection stays open.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);
};

// The HTTP operations surface (Boost.Beast):
//   GET  /healthz              200 {"status":"ok"}
//   GET  /readyz               200 {"status":"ready"} or 503 {"status":"not ready","reasons":[...]}
//   GET  /metrics              Prometheus text exposition of `metrics`
//   GET  /api/pipelines        200 [ ... ]
//   GET  /api/pipelines/{name} 200 {...} or 404
//   POST /api/pipelines/{name}/trigger  202 {"pipeline","triggered":true}; 404 unknown; 409 when
//                              the pipeline is not running or its source has no scheduled runs
//   POST /api/pipelines/{name}/pause|resume  200 {"pipeline","paused":bool}; 404 unknown
//   GET  /api/pipelines/{name}/tap?stage=source|mapped|sink&limit=N  200 application/x-ndjson,
//                              chunked: one record per line as they pass (an empty line now and
//                              then while none do); ends after `limit` (default 10) records
//   GET  /api/dlq?pipeline=&since=&limit=&after_id=   200 {"entries":[...],"next_after_id":N|null}
//   GET  /api/dlq/{id}         200 {... "record": {...}} or 404
//   POST /api/dlq/replay       {"id"|"pipeline"|"all", "dry_run"?} -> 200 {"matched","marked"}
//   POST /api/dlq/purge        {"id"|"pipeline"|"all", "before"?}  -> 200 {"purged"}
// (the /api/dlq routes in detail: admin/dlq_routes.h; without a state store they answer 503).
// With a token, every request except the probes (/healthz, /readyz) must carry
// "Authorization: Bearer <token>" (401 otherwise). Each connection has a read timeout and a request body limit.
// Any other path is 404, any other method 405 (with Allow: GET, or POST for replay and purge);
// error bodies are {"error":"..."}. Responses to one connection are sent in request order (keep-alive and
// pipelining work); a request whose header or body exceeds 64 KiB gets 431 or 413 and the
// connection is closed.
class AdminServer {
 public:
  // Binds and listens before returning, so "address in use" is reported at start-up; the
  // connections are then served by whichever threads run `io`. Fails with an invalid_config
  // Error naming the address when `options.listen` does not parse, and a permanent Error such as
  // "admin.listen 127.0.0.1:8686: address already in use" when it cannot be bound.
  // `io`, `metrics`, `status` and `dead_letters` (the state store serving /api/dlq; nullptr:
  // those routes answer 503) must outlive the server. Thread-safe. DLQ requests run the store's
  // (blocking) I/O on the thread serving the connection.
  static Result<std::unique_ptr<AdminServer>> start(boost::asio::io_context& io,
                                                    const AdminOptions& options,
                                                    prometheus::Registry& metrics,
                                                    StatusProvider& status,
                                                    StateStore* dead_letters = nullptr);
  virtual ~AdminServer() = default;

  virtual unsigned short port() const = 0;
  // Stops accepting and closes open connections. Safe to call more than once and from any
  // thread (but not from inside a StatusProvider call). When it returns, `metrics`, `status` and
  // `dead_letters` are no longer touched (it waits for a request in progress; later ones get no answer). The
  // sockets are closed on `io` shortly after (the port is free once a thread running `io` has
  // done so), and the server then leaves no work on `io`, so io_context::run() returns once
  // nothing else is queued. The destructor calls stop().
  virtual void stop() = 0;
};

}  // namespace weft

#pragma once

// The daemon's webhook intake (docs/connectors/webhook.md): ONE HTTP listener shared by every
// pipeline with a webhook source, the table of paths they claimed, and the group commit that
// makes accepted requests durable before they are answered.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include "net/http_server.h"
#include "state/state_store.h"
#include "weft/status.h"

namespace boost::asio {
class io_context;
}
namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace weft {

// One path's request handling, implemented by the webhook source (webhook/route.h).
class WebhookRoute {
 public:
  virtual ~WebhookRoute() = default;
  // The largest body this route accepts; a larger one is answered 413 before it is read.
  virtual std::size_t body_limit() const = 0;
  // Runs on the connection's strand once the whole request has arrived.
  virtual boost::asio::awaitable<net::HttpResponse> handle(net::HttpRequest& request) = 0;
};

// The webhook metric families, registered once per daemon; each route adds its pipeline's
// series, which outlive a pipeline restart.
struct WebhookMetrics {
  explicit WebhookMetrics(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& requests;            // {pipeline, code}
  prometheus::Family<prometheus::Counter>& signature_failures;  // {pipeline, reason}
  prometheus::Family<prometheus::Gauge>& buffer_depth;          // {pipeline}
  prometheus::Family<prometheus::Histogram>& accept_latency;    // {pipeline}
};

class WebhookIntake {
 public:
  // A path held by a route; the destructor releases it.
  class Claim {
   public:
    Claim(WebhookIntake& intake, std::string path) : intake_(intake), path_(std::move(path)) {}
    ~Claim() { intake_.release(path_); }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;

   private:
    WebhookIntake& intake_;
    std::string path_;
  };

  // `store` holds the buffer; the metric families are registered in `registry`; both must
  // outlive the intake. The listener starts with the first claim, so a daemon without webhook
  // pipelines opens no port. It runs on `threads` threads of its own: the pipelines' threads
  // block on disk I/O (checkpoints, sink fsyncs), which must not hold up an answer to a sender.
  WebhookIntake(StateStore& store, net::HttpServerOptions options, prometheus::Registry& registry,
                int threads = 2);
  ~WebhookIntake();  // stop()
  WebhookIntake(const WebhookIntake&) = delete;
  WebhookIntake& operator=(const WebhookIntake&) = delete;

  // Routes requests for `path` (exact match, query ignored) to `route` until the claim is
  // released. Fails with invalid_config when another route holds the path, and with the
  // listener's error ("webhook listen 0.0.0.0:8080: address already in use") when it cannot
  // start. Thread-safe.
  Result<std::unique_ptr<Claim>> claim(const std::string& path,
                                       std::shared_ptr<WebhookRoute> route);

  // Durably appends `event` to the buffer together with whatever other requests are waiting
  // (one transaction, one fsync for all of them): true once it is on disk, false when its
  // event id is remembered (a duplicate delivery, not appended), or the store's error. The
  // event's seq is set on success. Completes on the awaiting coroutine's executor.
  boost::asio::awaitable<Result<bool>> append(WebhookEvent& event);

  // The pipeline acked its events up to `through_seq`. They are deleted by the group commit a
  // slice at a time, together with the appends that arrive meanwhile: one large delete of its
  // own would hold up every request behind it (measured: 30 ms per 3,000 events). Until then
  // they stay in the buffer, where nothing reads them: a restart deletes them up to the
  // checkpoint. Thread-safe.
  void trim(const std::string& pipeline, std::int64_t through_seq);

  StateStore& store() { return store_; }
  WebhookMetrics& metrics() { return metrics_; }
  // The listener's port, 0 before the first claim (port 0 in the options picks a free one).
  unsigned short port() const;
  // Closes the listener; appends already queued are still written. Idempotent.
  void stop();

 private:
  using AppendHandler = boost::asio::any_completion_handler<void(Result<bool>)>;
  struct PendingAppend {
    WebhookEvent* event;
    AppendHandler handler;
    boost::asio::any_io_executor executor;  // the awaiting coroutine's: where it resumes
  };

  void release(const std::string& path);
  boost::asio::awaitable<net::HttpResponse> dispatch(net::HttpRequest& request);
  std::shared_ptr<WebhookRoute> find(std::string_view path) const;
  void enqueue(PendingAppend pending);
  void write_loop();
  // False when the store failed (every append in the batch gets its error).
  bool write_batch(std::vector<PendingAppend>& batch, std::vector<WebhookTrim>& trims);

  StateStore& store_;
  const net::HttpServerOptions options_;
  WebhookMetrics metrics_;

  const int threads_;
  mutable std::mutex server_mutex_;  // guards the three members below (set on the first claim)
  std::unique_ptr<boost::asio::io_context> listener_io_;
  std::unique_ptr<net::HttpServer> server_;
  std::vector<std::thread> listener_threads_;

  mutable std::shared_mutex routes_mutex_;  // guards the two members below
  std::unordered_map<std::string, std::shared_ptr<WebhookRoute>> routes_;
  // Paths claimed once and released since: a pipeline restarting (reload, failure) is answered
  // 503 so the provider retries, not 404, which some providers treat as "endpoint removed".
  std::set<std::string, std::less<>> resting_;

  std::mutex pending_mutex_;  // guards the four members below
  std::condition_variable pending_ready_;
  std::vector<PendingAppend> pending_;
  std::map<std::string, std::int64_t> trims_;  // pipeline -> delete through this seq
  bool stopping_ = false;
  std::thread writer_;  // the group commit; started last
};

}  // namespace weft

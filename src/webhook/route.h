#pragma once

// What one webhook source answers (docs/connectors/webhook.md): method, content type, signature,
// body, handshakes, backpressure, deduplication and the durable append, in that order.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "webhook/intake.h"
#include "webhook/webhook_config.h"

namespace spdlog {
class logger;
}

namespace weft {

class PipelineWebhookRoute final : public WebhookRoute {
 public:
  // `on_appended` runs after each durable append (it wakes the source). `intake` must outlive
  // the route.
  PipelineWebhookRoute(std::string pipeline, std::shared_ptr<const webhook::WebhookConfig> config,
                       WebhookIntake& intake, std::shared_ptr<spdlog::logger> log,
                       std::function<void()> on_appended);

  std::size_t body_limit() const override { return config_->max_body; }
  boost::asio::awaitable<net::HttpResponse> handle(net::HttpRequest& request) override;

  // Events in the buffer not yet acked; the source keeps it current (set at connect, lowered
  // by commits) and the route raises it with each append.
  void set_depth(std::int64_t depth);
  void add_depth(std::int64_t delta);
  std::int64_t depth() const { return depth_.load(); }
  // The pipeline stopped reading (circuit breaker open): new events are turned away with 503.
  void set_paused(bool paused) { paused_ = paused; }

 private:
  boost::asio::awaitable<net::HttpResponse> accept(net::HttpRequest& request);
  net::HttpResponse answer_get(const net::HttpRequest& request) const;
  net::HttpResponse count(net::HttpResponse response);
  void count_signature_failure(const std::string& reason);

  const std::string pipeline_;
  const std::shared_ptr<const webhook::WebhookConfig> config_;
  WebhookIntake& intake_;
  const std::shared_ptr<spdlog::logger> log_;
  const std::function<void()> on_appended_;
  std::atomic<std::int64_t> depth_{0};
  std::atomic<bool> paused_{false};
  prometheus::Gauge& depth_gauge_;
  prometheus::Histogram& latency_;
  std::map<int, prometheus::Counter*> by_code_;  // filled in the constructor, then read-only
};

}  // namespace weft

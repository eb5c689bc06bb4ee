#include "webhook/intake.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <chrono>
#include <utility>

namespace weft {
namespace {

namespace asio = boost::asio;

// One group commit takes at most this many requests, bounding how long the first of them waits
// for the transaction (and its fsync) to finish.
constexpr std::size_t kMaxGroup = 2048;
// Acked events one group commit deletes per pipeline. Deleting 1 KB rows is the costliest part
// of a group commit; bench/webhook.sh at 7,000 req/s: slices of 512 gave a p99 accept latency
// of 77 ms, slices of 64 gave 13 ms, and the deletes still keep up.
constexpr std::size_t kTrimSlice = 64;
// How often the writer forgets event ids past their retention, and how many at a time.
constexpr auto kPurgeEvery = std::chrono::minutes(10);
constexpr std::size_t kPurgeLimit = 10000;

net::HttpResponse json_error(int status, const char* message) {
  net::HttpResponse response;
  response.status = status;
  response.body = std::string(R"({"error":")") + message + R"("})";
  return response;
}

}  // namespace

WebhookMetrics::WebhookMetrics(prometheus::Registry& registry)
    : requests(prometheus::BuildCounter()
                   .Name("weft_webhook_requests_total")
                   .Help("Webhook requests answered by a pipeline's route, by status code")
                   .Register(registry)),
      signature_failures(prometheus::BuildCounter()
                             .Name("weft_webhook_signature_failures_total")
                             .Help("Webhook requests refused (401) by signature check, by reason")
                             .Register(registry)),
      buffer_depth(prometheus::BuildGauge()
                       .Name("weft_webhook_buffer_depth")
                       .Help("Accepted webhook events in the durable buffer, not yet acked")
                       .Register(registry)),
      accept_latency(prometheus::BuildHistogram()
                         .Name("weft_webhook_accept_latency_seconds")
                         .Help("From a webhook request's arrival to its answer, durable write "
                               "included")
                         .Register(registry)) {}

WebhookIntake::WebhookIntake(StateStore& store, net::HttpServerOptions options,
                             prometheus::Registry& registry, int threads)
    : store_(store), options_(std::move(options)), metrics_(registry), threads_(threads) {
  writer_ = std::thread([this] { write_loop(); });
}

WebhookIntake::~WebhookIntake() {
  stop();
  {
    std::lock_guard lock(pending_mutex_);
    stopping_ = true;
  }
  pending_ready_.notify_one();
  writer_.join();  // first: it posts completions to the listener's io_context
  if (listener_io_) listener_io_->stop();
  for (auto& thread : listener_threads_) thread.join();
}

void WebhookIntake::stop() {
  std::lock_guard lock(server_mutex_);
  if (server_) server_->stop();
}

unsigned short WebhookIntake::port() const {
  std::lock_guard lock(server_mutex_);
  return server_ ? server_->port() : 0;
}

Result<std::unique_ptr<WebhookIntake::Claim>> WebhookIntake::claim(
    const std::string& path, std::shared_ptr<WebhookRoute> route) {
  {
    std::lock_guard lock(server_mutex_);
    if (!server_) {
      auto io = std::make_unique<asio::io_context>(threads_);
      auto started = net::HttpServer::start(
          *io, options_, [this](net::HttpRequest& request) { return dispatch(request); },
          [this](std::string_view, std::string_view target) -> std::size_t {
            const auto route = find(target.substr(0, target.find('?')));
            return route ? route->body_limit() : 0;
          });
      if (!started) return started.error();
      server_ = std::move(*started);  // it logs "webhooks: listening on ..."
      listener_io_ = std::move(io);
      for (int i = 0; i < threads_; ++i) {
        // Runs until the destructor stops it: the work guard outlives every connection.
        listener_threads_.emplace_back([io = listener_io_.get()] {
          auto work = asio::make_work_guard(*io);
          io->run();
        });
      }
    }
  }
  std::unique_lock lock(routes_mutex_);
  if (!routes_.emplace(path, std::move(route)).second) {
    return Error::invalid_config("webhook path " + path +
                                 " is already taken by another pipeline's webhook source");
  }
  resting_.erase(path);
  return std::make_unique<Claim>(*this, path);
}

void WebhookIntake::release(const std::string& path) {
  std::unique_lock lock(routes_mutex_);
  if (routes_.erase(path) > 0) resting_.insert(path);
}

std::shared_ptr<WebhookRoute> WebhookIntake::find(std::string_view path) const {
  std::shared_lock lock(routes_mutex_);
  // Heterogeneous lookup in unordered_map needs C++20 transparent hashing; a copy is cheap
  // next to the request it serves.
  const auto it = routes_.find(std::string(path));
  return it == routes_.end() ? nullptr : it->second;
}

asio::awaitable<net::HttpResponse> WebhookIntake::dispatch(net::HttpRequest& request) {
  const std::string_view path = request.path();
  if (auto route = find(path)) {
    net::HttpResponse response = co_await route->handle(request);
    co_return response;
  }
  bool resting = false;
  {
    std::shared_lock lock(routes_mutex_);
    resting = resting_.find(path) != resting_.end();
  }
  if (resting) {
    net::HttpResponse response = json_error(503, "the pipeline is not running; retry later");
    response.headers.emplace_back("Retry-After", "5");
    co_return response;
  }
  co_return json_error(404, "no webhook at this path");
}

asio::awaitable<Result<bool>> WebhookIntake::append(WebhookEvent& event) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  Result<bool> appended = co_await asio::async_initiate<decltype(asio::use_awaitable),
                                                        void(Result<bool>)>(
      [this, &event, &executor](AppendHandler handler) {
        enqueue({&event, std::move(handler), executor});
      },
      asio::use_awaitable);
  co_return appended;
}

void WebhookIntake::enqueue(PendingAppend pending) {
  {
    std::lock_guard lock(pending_mutex_);
    pending_.push_back(std::move(pending));
  }
  pending_ready_.notify_one();
}

void WebhookIntake::trim(const std::string& pipeline, std::int64_t through_seq) {
  {
    std::lock_guard lock(pending_mutex_);
    std::int64_t& target = trims_[pipeline];
    target = std::max(target, through_seq);
  }
  pending_ready_.notify_one();
}

void WebhookIntake::write_loop() {
  auto last_purge = std::chrono::steady_clock::now();
  std::vector<PendingAppend> batch;
  std::vector<WebhookTrim> trims;
  bool store_failed = false;
  for (;;) {
    {
      std::unique_lock lock(pending_mutex_);
      // After a failure, trims alone wait a while: they must not spin against a broken store.
      pending_ready_.wait_for(lock, store_failed ? std::chrono::seconds(1) : kPurgeEvery, [&] {
        return stopping_ || !pending_.empty() || (!store_failed && !trims_.empty());
      });
      if (pending_.empty() && stopping_) return;  // trims left are redone after a restart
      if (pending_.size() <= kMaxGroup) {
        batch.swap(pending_);
      } else {
        const auto end = pending_.begin() + static_cast<std::ptrdiff_t>(kMaxGroup);
        batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(end));
        pending_.erase(pending_.begin(), end);
      }
      trims.clear();
      for (const auto& [pipeline, through_seq] : trims_) {
        trims.push_back({.pipeline = pipeline, .through_seq = through_seq, .limit = kTrimSlice});
      }
    }
    if (!batch.empty() || !trims.empty()) store_failed = !write_batch(batch, trims);
    batch.clear();
    if (!store_failed) {
      std::lock_guard lock(pending_mutex_);
      for (const auto& done : trims) {
        // A slice short of the limit reached through_seq, unless a later ack moved it on.
        const auto it = trims_.find(done.pipeline);
        if (done.removed < done.limit && it != trims_.end() && it->second == done.through_seq) {
          trims_.erase(it);
        }
      }
    }
    if (std::chrono::steady_clock::now() - last_purge >= kPurgeEvery) {
      last_purge = std::chrono::steady_clock::now();
      if (auto purged = store_.webhook_purge_ids(Clock::now(), kPurgeLimit); !purged) {
        spdlog::warn("webhooks: forgetting expired event ids failed: {}",
                     purged.error().message());
      }
    }
  }
}

bool WebhookIntake::write_batch(std::vector<PendingAppend>& batch,
                                std::vector<WebhookTrim>& trims) {
  std::vector<WebhookEvent> events;
  events.reserve(batch.size());
  for (auto& pending : batch) events.push_back(std::move(*pending.event));
  auto appended = store_.webhook_append(events, trims, Clock::now());
  if (!appended) spdlog::warn("webhooks: buffer write failed: {}", appended.error().message());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    *batch[i].event = std::move(events[i]);  // back to its owner, now with its seq
    Result<bool> outcome = appended.ok() ? Result<bool>(bool((*appended)[i]))
                                         : Result<bool>(appended.error());
    asio::post(batch[i].executor, [handler = std::move(batch[i].handler),
                          outcome = std::move(outcome)]() mutable {
      std::move(handler)(std::move(outcome));
    });
  }
  return appended.ok();
}

}  // namespace weft

#include "rest/page_fetcher.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/text.h"
#include "delivery/rate_limiter.h"
#include "net/url.h"
#include "rest/authenticator.h"

namespace weft::rest {

namespace asio = boost::asio;

// Longest wait honoured from an API's X-RateLimit-Reset: a bogus reset far in the future must
// not stall the pipeline silently.
constexpr auto kMaxHeaderWait = std::chrono::minutes(15);

struct FetchMetrics {
  FetchMetrics(prometheus::Registry& registry, const std::string& pipeline)
      : requests(prometheus::BuildCounter()
                     .Name("weft_rest_requests_total")
                     .Help("Requests the rest source sent, by HTTP status (or \"error\")")
                     .Register(registry)),
        duration(prometheus::BuildHistogram()
                     .Name("weft_rest_request_duration_seconds")
                     .Help("Time from sending a page request to the whole response")
                     .Register(registry)
                     .Add({{"pipeline", pipeline}},
                          prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                  0.25, 0.5, 1, 2.5, 5, 10, 30})),
        remaining(prometheus::BuildGauge()
                      .Name("weft_rest_rate_limit_remaining")
                      .Help("The API's X-RateLimit-Remaining on its last response")
                      .Register(registry)
                      .Add({{"pipeline", pipeline}})),
        usage(prometheus::BuildGauge()
                  .Name("weft_rest_api_usage_ratio")
                  .Help("Share of the API's request allowance used, from Sforce-Limit-Info")
                  .Register(registry)
                  .Add({{"pipeline", pipeline}})),
        pipeline(pipeline) {}

  void count(const std::string& code) {
    requests.Add({{"pipeline", pipeline}, {"code", code}}).Increment();
  }

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Histogram& duration;
  prometheus::Gauge& remaining;
  prometheus::Gauge& usage;
  std::string pipeline;
};

namespace {}  // namespace

Result<std::shared_ptr<PageFetcher>> PageFetcher::create(const RestConfig& config,
                                                         asio::any_io_executor executor,
                                                         const ConnectorContext& ctx) {
  std::shared_ptr<PageFetcher> f(new PageFetcher());
  f->method_ = config.method;
  f->headers_ = config.headers;
  f->secret_params_ = config.secret_query_params();
  f->rate_limit_ = config.rate_limit;
  f->log_ = ctx.logger;
  net::HttpClientOptions options;
  // Empty: the runtime already says "source rest: " before a read error.
  options.name = "";
  options.connect_timeout = config.connect_timeout;
  options.read_timeout = config.read_timeout;
  options.total_timeout = config.total_timeout;
  options.max_response_bytes = config.max_page_bytes;
  options.tls_insecure = config.tls_insecure;
  options.ca_file = config.ca_file;
  options.secret_query_params = f->secret_params_;
  options.max_idle_connections_per_host =
      static_cast<std::size_t>(std::max(config.paginator.concurrency, 2));
  auto client = net::HttpClient::create(std::move(executor), std::move(options), ctx.logger);
  if (!client.ok()) {
    return Error(client.error().kind(), "rest source:" + client.error().message());
  }
  f->client_ = std::move(*client);
  auto auth = Authenticator::create(config.auth, *f->client_);
  if (!auth.ok()) return auth.error();
  f->auth_ = std::move(*auth);
  if (config.rate_limit.requests_per_second > 0) {
    f->bucket_ = std::make_shared<TokenBucket>(config.rate_limit.requests_per_second,
                                               config.rate_limit.burst);
  }
  if (ctx.metrics != nullptr)
    f->metrics_ = std::make_unique<FetchMetrics>(*ctx.metrics, ctx.pipeline);
  return f;
}

PageFetcher::~PageFetcher() = default;

void PageFetcher::close_idle() { client_->close_idle(); }

asio::awaitable<void> PageFetcher::wait_for_rate_limits() {
  std::chrono::nanoseconds wait{0};
  if (bucket_) wait = bucket_->reserve(1, std::chrono::steady_clock::now());
  if (rate_limit_.respect_headers) {
    auto until_reset = api_reset_at_ - std::chrono::system_clock::now();
    if (until_reset > wait) wait = std::min<std::chrono::nanoseconds>(until_reset, kMaxHeaderWait);
  }
  if (wait.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(wait);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

void PageFetcher::note_rate_headers(const net::ClientResponse& response) {
  if (auto info = response.header("Sforce-Limit-Info"); info && metrics_) {
    // api-usage=25/15000
    auto eq = info->find('=');
    auto slash = info->find('/');
    if (eq != std::string_view::npos && slash != std::string_view::npos && slash > eq) {
      auto used = parse_number<double>(trim(info->substr(eq + 1, slash - eq - 1)));
      auto limit = parse_number<double>(trim(info->substr(slash + 1)));
      if (used && limit && *limit > 0) metrics_->usage.Set(*used / *limit);
    }
  }
  auto remaining_header = response.header("X-RateLimit-Remaining");
  if (!remaining_header) return;
  auto remaining = parse_number<double>(trim(*remaining_header));
  if (!remaining) return;
  if (metrics_) metrics_->remaining.Set(*remaining);
  if (*remaining > 0) return;
  auto reset_header = response.header("X-RateLimit-Reset");
  auto reset = reset_header ? parse_number<double>(trim(*reset_header)) : std::nullopt;
  if (!reset) return;
  const auto now = std::chrono::system_clock::now();
  // Epoch seconds (GitHub, Shopify) or seconds from now (others): no API resets 30 years ahead.
  api_reset_at_ = *reset > 1e9
                      ? std::chrono::system_clock::time_point(
                            std::chrono::seconds(static_cast<std::int64_t>(*reset)))
                      : now + std::chrono::milliseconds(static_cast<std::int64_t>(*reset * 1000));
  log_->info("rest source: the API's rate limit is used up; waiting {} ms for its reset",
             std::chrono::duration_cast<std::chrono::milliseconds>(api_reset_at_ - now).count());
}

asio::awaitable<Result<FetchedPage>> PageFetcher::fetch(PageRequest request, std::string body) {
  for (int attempt = 0;; ++attempt) {
    co_await wait_for_rate_limits();
    net::ClientRequest http;
    http.method = method_;
    http.url = request.url;
    http.headers = headers_;
    http.headers.emplace_back("Accept", "application/json");
    http.body = body;
    if (!body.empty()) http.headers.emplace_back("Content-Type", "application/json");
    Status authorised = co_await auth_->apply(http);
    if (!authorised.ok()) co_return authorised.error();
    const auto started = std::chrono::steady_clock::now();
    auto response = co_await client_->send(http);
    if (!response.ok()) {
      if (metrics_) metrics_->count("error");
      co_return response.error();
    }
    if (metrics_) {
      metrics_->count(std::to_string(response->status));
      metrics_->duration.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    note_rate_headers(*response);
    if (response->status == 401 && attempt == 0 && auth_->on_unauthorized()) {
      log_->info("rest source: 401 from {}; renewing the access token",
                 net::redact_url(request.url, secret_params_));
      continue;
    }
    Status status = net::check_status(http, *response, secret_params_);
    if (!status.ok()) co_return status.error();
    co_return FetchedPage{std::move(request), std::move(*response)};
  }
}

}  // namespace weft::rest

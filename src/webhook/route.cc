#include "webhook/route.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/text.h"
#include "webhook/form_body.h"

namespace weft {
namespace {

using webhook::BodyFormat;

// The status codes a route answers; each gets its series up front so counting is lock-free.
constexpr int kCodes[] = {200, 201, 202, 204, 400, 401, 403, 405, 415, 503};

prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

net::HttpResponse json_response(int status, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

net::HttpResponse error_response(int status, const std::string& message) {
  return json_response(status, nlohmann::json{{"error", message}}.dump());
}

net::HttpResponse retry_later(const std::string& message, int seconds) {
  auto response = error_response(503, message);
  response.headers.emplace_back("Retry-After", std::to_string(seconds));
  return response;
}

// "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type) {
  return to_lower(trim(content_type.substr(0, content_type.find(';'))));
}

bool content_type_fits(BodyFormat format, const std::optional<std::string_view>& header) {
  if (format == BodyFormat::kRaw) return true;
  if (!header) return false;
  const std::string type = media_type(*header);
  if (format == BodyFormat::kForm) return type == "application/x-www-form-urlencoded";
  return type == "application/json" ||
         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

const char* expected_type(BodyFormat format) {
  return format == BodyFormat::kForm ? "application/x-www-form-urlencoded" : "application/json";
}

bool needs_record(const webhook::WebhookConfig& config) {
  return config.event_id || config.response_body || config.url_verification ||
         config.format != BodyFormat::kJson;
}

// The request as a record, for the templates: the body as the value, every header under its
// lower-case name. Fails when the body does not parse in the configured format.
Result<Record> request_record(const webhook::WebhookConfig& config,
                              const net::HttpRequest& request) {
  Record record;
  switch (config.format) {
    case BodyFormat::kJson:
      record.value = Payload::from_text(request.body);
      if (record.value.json().is_discarded()) {
        return Error::permanent("the body is not valid JSON");
      }
      break;
    case BodyFormat::kForm:
      record.value = Payload::from_json(webhook::parse_form(request.body));
      break;
    case BodyFormat::kRaw:
      record.value = Payload::from_json(nlohmann::json(request.body));
      break;
  }
  for (const auto& [name, value] : request.headers) {
    std::string lower = to_lower(name);
    if (!record.headers.contains(lower)) record.headers.set(std::move(lower), value);  // the first
  }
  return record;
}

std::string kept_headers(const webhook::WebhookConfig& config, const net::HttpRequest& request) {
  if (config.keep_headers.empty()) return "{}";
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& name : config.keep_headers) {
    if (auto value = request.header(name)) kept[name] = std::string(*value);
  }
  return kept.dump();
}

}  // namespace

PipelineWebhookRoute::PipelineWebhookRoute(std::string pipeline,
                                           std::shared_ptr<const webhook::WebhookConfig> config,
                                           WebhookIntake& intake,
                                           std::shared_ptr<spdlog::logger> log,
                                           std::function<void()> on_appended)
    : pipeline_(std::move(pipeline)),
      config_(std::move(config)),
      intake_(intake),
      log_(std::move(log)),
      on_appended_(std::move(on_appended)),
      depth_gauge_(intake.metrics().buffer_depth.Add({{"pipeline", pipeline_}})),
      latency_(intake.metrics().accept_latency.Add({{"pipeline", pipeline_}}, latency_buckets())) {
  for (int code : kCodes) {
    by_code_[code] =
        &intake.metrics().requests.Add({{"pipeline", pipeline_}, {"code", std::to_string(code)}});
  }
}

void PipelineWebhookRoute::set_depth(std::int64_t depth) {
  depth_ = depth;
  depth_gauge_.Set(static_cast<double>(depth));
}

void PipelineWebhookRoute::add_depth(std::int64_t delta) {
  const std::int64_t now = depth_.fetch_add(delta) + delta;
  depth_gauge_.Set(static_cast<double>(now));
}

boost::asio::awaitable<net::HttpResponse> PipelineWebhookRoute::handle(
    net::HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  net::HttpResponse response = co_await accept(request);
  latency_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  co_return count(std::move(response));
}

net::HttpResponse PipelineWebhookRoute::count(net::HttpResponse response) {
  const auto it = by_code_.find(response.status);
  if (it != by_code_.end()) {
    it->second->Increment();
  } else {
    intake_.metrics()
        .requests.Add({{"pipeline", pipeline_}, {"code", std::to_string(response.status)}})
        .Increment();
  }
  return response;
}

void PipelineWebhookRoute::count_signature_failure(const std::string& reason) {
  intake_.metrics().signature_failures.Add({{"pipeline", pipeline_}, {"reason", reason}})
      .Increment();
}

net::HttpResponse PipelineWebhookRoute::answer_get(const net::HttpRequest& request) const {
  const webhook::GetChallenge& challenge = *config_->get_challenge;
  if (!challenge.token_param.empty()) {
    // Not constant-time: the verify token is a shared label the provider sends in the clear to
    // prove it is the right subscription, not a signing key.
    if (request.query_param(challenge.token_param) != challenge.token) {
      return error_response(403, "verify token does not match");
    }
  }
  auto value = request.query_param(challenge.param);
  if (!value) return error_response(400, "missing query parameter " + challenge.param);
  net::HttpResponse response;
  response.content_type = "text/plain";
  response.body = std::move(*value);
  return response;
}

boost::asio::awaitable<net::HttpResponse> PipelineWebhookRoute::accept(
    net::HttpRequest& request) {
  const webhook::WebhookConfig& config = *config_;
  if (request.method == "GET" && config.get_challenge) co_return answer_get(request);
  if (std::find(config.methods.begin(), config.methods.end(), request.method) ==
      config.methods.end()) {
    auto response = error_response(405, "method not allowed");
    std::string allow;
    for (const auto& m : config.methods) allow += (allow.empty() ? "" : ", ") + m;
    if (config.get_challenge) allow += ", GET";
    response.headers.emplace_back("Allow", allow);
    co_return response;
  }
  if (!content_type_fits(config.format, request.header("Content-Type"))) {
    co_return error_response(415, std::string("Content-Type must be ") +
                                      expected_type(config.format));
  }

  const auto now = Clock::now();
  const webhook::Verdict verdict = webhook::verify(
      config.signature, [&request](std::string_view name) { return request.header(name); },
      request.body, now);
  if (!verdict.ok) {
    count_signature_failure(verdict.reason);
    log_->debug("webhook from {} refused: {}", request.remote, verdict.detail);
    // Nothing about which check failed: that would help whoever is guessing.
    co_return error_response(401, "invalid signature");
  }

  std::optional<Record> record;
  if (needs_record(config)) {
    auto built = request_record(config, request);
    if (!built) co_return error_response(400, built.error().message());
    record = std::move(*built);
  } else if (!nlohmann::json::accept(request.body)) {
    co_return error_response(400, "the body is not valid JSON");
  }

  if (config.url_verification && config.format == BodyFormat::kJson) {
    const webhook::UrlVerification& handshake = *config.url_verification;
    const nlohmann::json* kind = handshake.field.lookup(record->value.json());
    if (kind != nullptr && kind->is_string() && *kind == handshake.equals) {
      auto answer = handshake.respond.render(*record);
      if (!answer) co_return error_response(400, answer.error().message());
      net::HttpResponse response;
      response.content_type = handshake.content_type;
      response.body = std::move(*answer);
      co_return response;
    }
  }

  if (paused_ && config.reject_when_paused) {
    co_return retry_later(
        "the pipeline is paused (its destination is failing, or an operator paused it)", 30);
  }
  if (depth_.load() >= static_cast<std::int64_t>(config.max_buffered)) {
    co_return retry_later("the webhook buffer is full", 30);
  }

  WebhookEvent event;
  event.pipeline = pipeline_;
  if (config.event_id) {
    auto id = config.event_id->render(*record);
    if (id) {
      event.event_id = std::move(*id);
    } else {
      log_->debug("webhook accepted without deduplication: event id: {}", id.error().message());
    }
  }
  event.received_at = now;
  event.event_time = verdict.timestamp ? Clock::time_point(std::chrono::seconds(*verdict.timestamp))
                                       : now;
  event.id_expires_at = now + config.remember_ids;
  event.headers = kept_headers(config, request);
  std::optional<std::string> rendered_body;
  if (config.response_body) {
    record->id = event.event_id;
    // A request is not refused for what its answer cannot show: the event is kept either way.
    if (auto body = config.response_body->render(*record)) {
      rendered_body = std::move(*body);
    } else {
      log_->warn("webhook answered with the default body: response.body: {}",
                 body.error().message());
    }
  }
  event.body = std::move(request.body);

  Result<bool> appended = co_await intake_.append(event);
  if (!appended) {
    log_->warn("webhook could not be stored (the sender will retry): {}",
               appended.error().message());
    co_return retry_later("the event could not be stored; retry later", 5);
  }
  if (!*appended) co_return json_response(200, R"({"status":"duplicate"})");
  add_depth(1);
  on_appended_();
  net::HttpResponse response;
  response.status = config.response_status;
  if (rendered_body) {
    response.content_type = config.response_content_type;
    response.body = std::move(*rendered_body);
  } else {
    response.body = R"({"status":"accepted"})";
  }
  co_return response;
}

}  // namespace weft

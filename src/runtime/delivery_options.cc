#include "runtime/delivery_options.h"

#include <algorithm>

namespace weft {
namespace {

RetryPolicy retry_policy_from(const Settings& s) {
  RetryPolicy p;
  p.initial = s.duration("initial");
  p.max = s.duration("max");
  p.multiplier = s.number("multiplier");
  p.max_attempts = static_cast<int>(s.integer("max_attempts"));
  p.max_elapsed = s.duration("max_elapsed");
  return p;
}

CircuitBreakerOptions breaker_options_from(const Settings& s) {
  CircuitBreakerOptions o;
  o.failure_threshold = static_cast<int>(s.integer("failure_threshold"));
  o.failure_rate = s.number("failure_rate");
  o.window = static_cast<std::size_t>(s.integer("window"));
  // A window smaller than min_calls would never be judged; judge it when full instead.
  o.min_calls = std::min(o.window, static_cast<std::size_t>(s.integer("min_calls")));
  o.open_for = s.duration("open_for");
  return o;
}

}  // namespace

Result<DeliveryOptions> DeliveryOptions::from(const Settings& runtime,
                                              const RateLimiterRegistry* shared_limits) {
  DeliveryOptions out;
  out.retry = retry_policy_from(runtime.object("retry"));
  if (Status s = out.retry.validate(); !s.ok()) return s.error();

  const Settings breaker = runtime.object("circuit_breaker");
  if (breaker.boolean("enabled")) {
    out.breaker = breaker_options_from(breaker);
    if (Status s = out.breaker->validate(); !s.ok()) return s.error();
  }

  const Settings idempotency = runtime.object("idempotency");
  if (idempotency.has("key")) {
    auto parsed = RecordTemplate::parse(idempotency.string("key"));
    if (!parsed.ok()) {
      return Error::invalid_config("idempotency.key: " + parsed.error().message());
    }
    out.idempotency_key.emplace(std::move(*parsed));
    out.key_ttl = idempotency.duration("ttl");
    out.max_keys = static_cast<std::size_t>(idempotency.integer("max_keys"));
  }

  const Settings dlq = runtime.object("dlq");
  out.dlq_enabled = dlq.boolean("enabled");
  if (out.dlq_enabled && dlq.string("target") == "file") out.dlq_file = dlq.string("path");
  out.max_dlq_rate = dlq.number("max_dlq_rate");
  out.dlq_rate_window = static_cast<std::size_t>(dlq.integer("rate_window"));

  const Settings limit = runtime.object("rate_limit");
  if (limit.has("shared")) {
    const std::string name = limit.string("shared");
    if (shared_limits != nullptr) out.limiter = shared_limits->find(name);
    if (!out.limiter) {
      return Error::invalid_config("rate_limit.shared: no shared rate limit named '" + name +
                                   "' (define it under rate_limits in the daemon config)");
    }
  } else if (limit.has("per_second")) {
    // Burst 0 means one second's worth.
    const auto burst = limit.has("burst") ? static_cast<std::size_t>(limit.integer("burst")) : 0;
    out.limiter = std::make_shared<TokenBucket>(limit.number("per_second"), burst);
  }
  return out;
}

}  // namespace weft

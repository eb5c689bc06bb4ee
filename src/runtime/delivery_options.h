#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "delivery/circuit_breaker.h"
#include "delivery/rate_limiter.h"
#include "delivery/record_template.h"
#include "delivery/retry_policy.h"
#include "weft/settings.h"

namespace weft {

// A pipeline's delivery settings (retry, circuit_breaker, idempotency, dlq, rate_limit; see
// config/delivery_spec.cc) turned into the parts the delivery stage runs.
struct DeliveryOptions {
  RetryPolicy retry;
  std::optional<CircuitBreakerOptions> breaker;   // unset: circuit_breaker.enabled is false
  std::optional<RecordTemplate> idempotency_key;  // unset: no dedupe
  std::chrono::milliseconds key_ttl{0};
  std::size_t max_keys = 0;
  bool dlq_enabled = true;
  std::optional<std::string> dlq_file;  // set for dlq.target: file
  double max_dlq_rate = 0;
  std::size_t dlq_rate_window = 1;
  std::shared_ptr<TokenBucket> limiter;  // null: no rate limit

  // `runtime` is a validated pipeline's runtime settings; `shared_limits` (may be null) the
  // daemon's named limits. Fails with an invalid_config Error naming the setting: an idempotency
  // key that does not parse, an unknown shared limit, values the parts reject.
  static Result<DeliveryOptions> from(const Settings& runtime,
                                      const RateLimiterRegistry* shared_limits);
};

}  // namespace weft

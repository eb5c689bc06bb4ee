#pragma once

namespace weft {

class Crosswalk;
class RateLimiterRegistry;
class WebhookIntake;

// Daemon-wide services that pipelines share. Each may be null (none configured; tests); they
// must outlive the pipelines.
struct SharedServices {
  const RateLimiterRegistry* rate_limits = nullptr;  // the daemon's named rate limits
  Crosswalk* crosswalk = nullptr;                    // crosswalk tables behind their cache
  WebhookIntake* webhooks = nullptr;  // the webhook listener and durable buffer
};

}  // namespace weft

#pragma once

namespace weft {

class Crosswalk;
class RateLimiterRegistry;

// Daemon-wide services that pipelines share. Each may be null (none configured; tests); they
// must outlive the pipelines.
struct SharedServices {
  const RateLimiterRegistry* rate_limits = nullptr;  // the daemon's named rate limits
  Crosswalk* crosswalk = nullptr;                    // crosswalk tables behind their cache
};

}  // namespace weft

#pragma once

#include <chrono>
#include <map>
#include <string>

#include "config/diagnostics.h"
#include "config/environment.h"
#include "delivery/rate_limiter.h"
#include "weft/config_spec.h"

namespace weft {

// config/weft.yaml. Relative paths are resolved against the directory of the config file, so
// the daemon behaves the same whatever directory it is started from.
//   state:     {path: ../data/weft.db}
//   admin:     {listen: 127.0.0.1:8686, token: ${WEFT_ADMIN_TOKEN:-}}
//   log:       {level: info, format: text}
//   pipelines: {dir: ../pipelines}
//   shutdown:  {deadline: 30s}
//   workers: 2
//   rate_limits: {salesforce_api: {per_second: 20, burst: 40}}

struct DaemonConfig {
  std::string file;  // empty when built from defaults
  std::string state_path;
  std::string admin_listen;  // host:port; port 0 picks a free port
  std::string admin_token;   // secret; empty: no authentication
  std::string log_level;     // trace, debug, info, warn, error
  std::string log_format;    // text, json
  std::string pipelines_dir;
  std::chrono::milliseconds shutdown_deadline{30000};
  int workers = 2;
  // Token buckets shared by the pipelines that name them (`rate_limit: {shared: <name>}`).
  std::map<std::string, RateLimit> rate_limits;
  // Crosswalk links kept in memory in each direction, shared by every pipeline.
  std::size_t crosswalk_cache_entries = 100000;
  // The webhook listener (docs/connectors/webhook.md), opened when a pipeline has a webhook
  // source.
  struct Webhooks {
    std::string listen = "0.0.0.0:8080";
    std::string tls_cert_file;  // both set: HTTPS
    std::string tls_key_file;
    std::size_t max_connections = 1024;
    std::chrono::milliseconds read_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};
    int threads = 2;
  } webhooks;
};

const ConfigSpec& daemon_spec();

Loaded<DaemonConfig> load_daemon_config(const std::string& path, const Environment& env);

}  // namespace weft

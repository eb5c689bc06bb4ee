#include "config/daemon_config.h"

#include <exception>
#include <filesystem>
#include <optional>
#include <utility>
#include <system_error>

#include "config/delivery_spec.h"
#include "config/yaml_document.h"
#include "config/yaml_validate.h"
#include "net/listen_address.h"

namespace weft {
namespace {

namespace fs = std::filesystem;

constexpr const char* kListenHint = "write host:port, e.g. 127.0.0.1:8686 or [::1]:8686; "
                                    "port 0 picks a free port";

// Why `listen` is not a usable admin address, or an empty string when it is. The same parser
// as the admin server's, so `weft validate` accepts exactly what `weft run` can bind.
std::string listen_problem(const std::string& listen) {
  auto parsed = net::parse_listen_address(listen);
  return parsed.ok() ? std::string() : parsed.error().message();
}

// `value` relative to `base` (the config file's directory) unless already absolute.
std::string resolve_path(const fs::path& base, const std::string& value) {
  const fs::path p(value);
  return (p.is_absolute() ? p : base / p).lexically_normal().string();
}

Location where(const Validation& v, const std::string& path, Location fallback) {
  auto it = v.locations.find(path);
  return it != v.locations.end() ? it->second : fallback;
}

Loaded<DaemonConfig> load(const std::string& path, const Environment& env) {
  Loaded<DaemonConfig> out;
  auto root = load_yaml_mapping_file(path, "write {} to use every default", out.errors);
  if (!root) return out;

  Validation v{path, &env, {}, {}};
  const Location root_at = location_of(*root);
  const nlohmann::json values =
      validate_mapping(*root, daemon_spec().fields(), "", root_at, {}, v);
  // Semantic checks run even after type errors elsewhere, so one run reports everything; a
  // value that failed its own validation is absent from `values` and skipped here.
  auto string_at = [&](const char* pointer) -> std::optional<std::string> {
    const nlohmann::json::json_pointer p(pointer);
    if (!values.contains(p)) return std::nullopt;
    return values.at(p).get<std::string>();
  };
  for (const auto& [pointer, field] : {std::pair{"/admin/listen", "admin.listen"},
                                       std::pair{"/webhooks/listen", "webhooks.listen"}}) {
    auto listen = string_at(pointer);
    if (!listen) continue;
    if (std::string problem = listen_problem(*listen); !problem.empty()) {
      v.errors.push_back(make_diagnostic(path, where(v, field, root_at),
                                         std::string("field '") + field + "': " + problem,
                                         kListenHint));
    }
  }
  if (values.contains("webhooks") && values.at("webhooks").contains("tls")) {
    const auto& tls = values.at("webhooks").at("tls");
    if (tls.contains("cert_file") != tls.contains("key_file")) {
      v.errors.push_back(make_diagnostic(path, where(v, "webhooks.tls", root_at),
                                         "field 'webhooks.tls': set both cert_file and key_file",
                                         "or neither, to serve plain HTTP"));
    }
  }
  for (const auto& [pointer, field] : {std::pair{"/state/path", "state.path"},
                                       std::pair{"/pipelines/dir", "pipelines.dir"}}) {
    if (auto value = string_at(pointer); value && value->empty()) {
      v.errors.push_back(make_diagnostic(path, where(v, field, root_at),
                                         std::string("field '") + field + "' is empty",
                                         "give a path, relative to this file's directory"));
    }
  }
  if (!v.errors.empty()) {
    out.errors = std::move(v.errors);
    sort_by_position(out.errors);
    return out;
  }

  DaemonConfig config;
  config.file = path;
  config.admin_listen = values.at("admin").at("listen").get<std::string>();

  // Relative paths are anchored at the config file so the daemon's working directory does not
  // matter. absolute() only fails when the working directory is gone; then keep it relative.
  std::error_code ec;
  fs::path base = fs::absolute(fs::path(path), ec).parent_path();
  if (ec) base = fs::path(path).parent_path();
  config.state_path = resolve_path(base, values.at("state").at("path").get<std::string>());
  config.pipelines_dir = resolve_path(base, values.at("pipelines").at("dir").get<std::string>());
  if (values.at("admin").contains("token")) {
    config.admin_token = values.at("admin").at("token").get<std::string>();
  }
  config.log_level = values.at("log").at("level").get<std::string>();
  config.log_format = values.at("log").at("format").get<std::string>();
  config.shutdown_deadline =
      std::chrono::milliseconds(values.at("shutdown").at("deadline").get<std::int64_t>());
  config.workers = static_cast<int>(values.at("workers").get<std::int64_t>());
  config.crosswalk_cache_entries =
      values.at("crosswalk").at("cache_entries").get<std::size_t>();
  const auto& webhooks = values.at("webhooks");
  config.webhooks.listen = webhooks.at("listen").get<std::string>();
  if (webhooks.at("tls").contains("cert_file")) {
    config.webhooks.tls_cert_file = webhooks.at("tls").at("cert_file").get<std::string>();
    config.webhooks.tls_key_file = webhooks.at("tls").at("key_file").get<std::string>();
  }
  config.webhooks.max_connections = webhooks.at("max_connections").get<std::size_t>();
  config.webhooks.read_timeout =
      std::chrono::milliseconds(webhooks.at("read_timeout").get<std::int64_t>());
  config.webhooks.idle_timeout =
      std::chrono::milliseconds(webhooks.at("idle_timeout").get<std::int64_t>());
  config.webhooks.threads = static_cast<int>(webhooks.at("threads").get<std::int64_t>());
  for (const auto& [name, limit] : values.at("rate_limits").items()) {
    RateLimit shared;
    shared.per_second = limit.at("per_second").get<double>();
    if (limit.contains("burst")) shared.burst = limit.at("burst").get<std::size_t>();
    config.rate_limits.emplace(name, shared);
  }
  out.value = std::move(config);
  return out;
}

}  // namespace

const ConfigSpec& daemon_spec() {
  static const ConfigSpec spec = [] {
    ConfigSpec state;
    state.string("path").default_value("../data/weft.db")
        .description("SQLite file holding checkpoints; relative to this file's directory")
        .example("/var/lib/weft/weft.db");
    ConfigSpec admin;
    admin.string("listen").default_value("127.0.0.1:8686")
        .description("host:port of the admin HTTP API; port 0 picks a free port")
        .example("0.0.0.0:8686");
    admin.string("token").secret()
        .description("Bearer token required by the admin API; unset: no authentication")
        .example("${WEFT_ADMIN_TOKEN}");
    ConfigSpec log;
    log.enumeration("level", {"trace", "debug", "info", "warn", "error"}).default_value("info")
        .description("Least severe level written");
    log.enumeration("format", {"text", "json"}).default_value("text")
        .description("text for people, json for log collectors");
    ConfigSpec pipelines;
    pipelines.string("dir").default_value("../pipelines")
        .description("Directory of pipeline files; relative to this file's directory");
    ConfigSpec shutdown;
    shutdown.duration("deadline").default_value("30s").min(100)
        .description("How long SIGTERM waits for in-flight work before exiting");
    ConfigSpec crosswalk;
    crosswalk.integer("cache_entries").default_value("100000").min(0).max(100000000)
        .description("Crosswalk links kept in memory in each direction, shared by every "
                     "pipeline (0: no cache). Make it well above the number of ids pipelines "
                     "keep touching: a full sync of more ids than this misses on most lookups")
        .example("1000000");
    ConfigSpec webhook_tls;
    webhook_tls.path("cert_file")
        .description("PEM certificate chain; relative to this file's directory")
        .example("/etc/weft/tls/cert.pem");
    webhook_tls.path("key_file")
        .description("PEM private key of the certificate")
        .example("/etc/weft/tls/key.pem");
    ConfigSpec webhooks;
    webhooks.string("listen").default_value("0.0.0.0:8080")
        .description("host:port of the webhook listener, opened only when a pipeline has a "
                     "webhook source")
        .example("127.0.0.1:9000");
    webhooks.object("tls", webhook_tls)
        .description("Serve HTTPS; unset: plain HTTP (e.g. behind a TLS-terminating proxy)");
    webhooks.integer("max_connections").default_value("1024").min(1).max(1000000)
        .description("Open connections beyond which new ones get 503 and are closed");
    webhooks.duration("read_timeout").default_value("10s").min(100)
        .description("A request (header and body) must arrive within this, or the connection "
                     "is closed (slow clients)");
    webhooks.duration("idle_timeout").default_value("60s").min(100)
        .description("An idle keep-alive connection is closed after this");
    webhooks.integer("threads").default_value("2").min(1).max(64)
        .description("Threads serving webhook connections, apart from the pipelines' `workers`, "
                     "so that a pipeline's disk I/O never delays an answer to a sender");
    ConfigSpec s;
    s.object("state", state).description("Durable state");
    s.object("admin", admin).description("Admin HTTP API");
    s.object("log", log).description("Logging");
    s.object("pipelines", pipelines).description("Where pipelines are defined");
    s.object("shutdown", shutdown).description("Graceful shutdown");
    s.object("crosswalk", crosswalk).description("Crosswalk tables (docs/mapping.md)");
    s.object("webhooks", webhooks)
        .description("The listener webhook sources receive on (docs/connectors/webhook.md)");
    s.integer("workers").default_value("2").min(1).max(64)
        .description("Threads running pipelines");
    s.object_map("rate_limits", shared_rate_limit_spec())
        .default_value("{}")
        .description("Named rate limits that several pipelines share with "
                     "`rate_limit: {shared: <name>}` (one API quota for an account)");
    return s;
  }();
  return spec;
}

Loaded<DaemonConfig> load_daemon_config(const std::string& path, const Environment& env) {
  try {
    return load(path, env);
  } catch (const std::exception& e) {
    Loaded<DaemonConfig> out;
    out.errors.push_back(
        make_diagnostic(path, {}, std::string("internal error while loading: ") + e.what()));
    return out;
  }
}

}  // namespace weft

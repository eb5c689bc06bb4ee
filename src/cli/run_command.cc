// `weft run`: loads the configuration, refuses to start on any error, then runs the pipelines
// and the admin server until SIGTERM/SIGINT, reloading pipelines on SIGHUP.
#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "admin/admin_server.h"
#include "cli/commands.h"
#include "config/daemon_config.h"
#include "config/delivery_spec.h"
#include "config/pipeline_config.h"
#include "delivery/rate_limiter.h"
#include "mapper/crosswalk.h"
#include "webhook/intake.h"
#include "runtime/logging.h"
#include "runtime/metrics.h"
#include "runtime/supervisor.h"
#include "state/state_store.h"
#include "weft/version.h"

namespace weft::cli {
namespace {

namespace asio = boost::asio;

// Batches are a few MB that are allocated and freed many times a second. With glibc's defaults
// the heap top is trimmed back to the kernel and refaulted on every batch (measured: about a
// fifth of the throughput of generate -> file). Keeping up to 64 MiB of freed heap and serving
// blocks below 16 MiB from it removes that churn; idle memory is unchanged.
void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

// After the drain deadline, pipelines are aborted; if a connector still does not return within
// this grace period the process exits anyway (unacknowledged records are re-read on restart).
constexpr auto kAbortGrace = std::chrono::seconds(5);

void print_errors(const Diagnostics& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.format().c_str());
}

class Daemon {
 public:
  Daemon(DaemonConfig config, std::unique_ptr<StateStore> state,
         RateLimiterRegistry shared_limits)
      : config_(std::move(config)),
        state_(std::move(state)),
        shared_limits_(std::move(shared_limits)),
        crosswalk_(*state_, config_.crosswalk_cache_entries),
        webhooks_(*state_, webhook_options(config_.webhooks), metrics_.registry(),
                  config_.webhooks.threads),
        supervisor_(io_, *state_, metrics_, builtin_registry(), Environment::process(),
                    config_.pipelines_dir, config_.shutdown_deadline,
                    SharedServices{&shared_limits_, &crosswalk_, &webhooks_}),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        hard_stop_(io_) {}

  int run(PipelineSet pipelines) {
    AdminOptions admin_options;
    admin_options.listen = config_.admin_listen;
    admin_options.bearer_token = config_.admin_token;
    auto admin =
        AdminServer::start(io_, admin_options, metrics_.registry(), supervisor_, state_.get());
    if (!admin.ok()) {
      spdlog::critical("{}", admin.error().message());
      return kExitConfig;
    }
    admin_ = std::move(*admin);
    spdlog::info("weft {} started: admin server listening on {}:{}, {} pipeline(s), state {}",
                 kVersion, host_of(config_.admin_listen), admin_->port(),
                 pipelines.pipelines.size(), config_.state_path);
    supervisor_.start(std::move(pipelines));
    wait_for_signal();

    std::vector<std::thread> workers;
    for (int i = 1; i < config_.workers; ++i) workers.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : workers) t.join();
    return exit_code_;
  }

 private:
  static net::HttpServerOptions webhook_options(const DaemonConfig::Webhooks& config) {
    net::HttpServerOptions options;
    options.name = "webhooks";
    options.listen = config.listen;
    options.tls_cert_file = config.tls_cert_file;
    options.tls_key_file = config.tls_key_file;
    options.max_connections = config.max_connections;
    options.read_timeout = config.read_timeout;
    options.idle_timeout = config.idle_timeout;
    // Routes set their own limits; this bounds a request to a path nobody claimed.
    options.max_body_bytes = 64 * 1024;
    return options;
  }

  static std::string host_of(const std::string& listen) {
    auto colon = listen.rfind(':');
    return colon == std::string::npos ? listen : listen.substr(0, colon);
  }

  void wait_for_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        spdlog::info("SIGHUP: reloading pipelines from {}", config_.pipelines_dir);
        supervisor_.reload();
        wait_for_signal();
        return;
      }
      begin_shutdown(signal);
    });
  }

  void begin_shutdown(int signal) {
    if (stopping_.exchange(true)) return;
    spdlog::info("{}: draining pipelines (deadline {} ms)", signal == SIGINT ? "SIGINT" : "SIGTERM",
                 config_.shutdown_deadline.count());
    wait_for_second_signal();
    hard_stop_.expires_after(config_.shutdown_deadline + kAbortGrace);
    hard_stop_.async_wait([this](boost::system::error_code ec) {
      if (!ec) finish(kExitFailure, "pipelines did not stop after the drain deadline");
    });
    supervisor_.shutdown(config_.shutdown_deadline, [this](bool drained) {
      if (drained) {
        finish(kExitOk, "");
      } else {
        finish(kExitFailure, "drain deadline passed; unacknowledged records will be re-read");
      }
    });
  }

  // A second SIGTERM/SIGINT while draining means "now": abort the drain. SIGHUP is ignored.
  void wait_for_second_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        spdlog::info("SIGHUP ignored: shutting down");
        wait_for_second_signal();
        return;
      }
      finish(kExitFailure, "second signal: exiting without completing the drain");
    });
  }

  void finish(int code, const std::string& why) {
    if (finished_.exchange(true)) return;
    if (!why.empty()) spdlog::warn("{}", why);
    exit_code_ = code;
    if (admin_) admin_->stop();
    webhooks_.stop();
    signals_.cancel();
    hard_stop_.cancel();
    spdlog::info("weft stopped");
    io_.stop();
  }

  DaemonConfig config_;
  asio::io_context io_;
  DaemonMetrics metrics_;
  std::unique_ptr<StateStore> state_;
  RateLimiterRegistry shared_limits_;
  Crosswalk crosswalk_;  // one cache for every pipeline's lookups
  WebhookIntake webhooks_;  // outlives the pipelines, whose sources hold routes on it
  Supervisor supervisor_;
  std::unique_ptr<AdminServer> admin_;
  asio::signal_set signals_;
  asio::steady_timer hard_stop_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  int exit_code_ = kExitOk;
};

}  // namespace

int run_command(const std::vector<std::string>& args) {
  CommonArgs parsed;
  if (auto exit_code = parse_common_args(args, "run", false, parsed)) return *exit_code;
  const std::string& config_path = parsed.config_path;

  const Environment env = Environment::process();
  auto daemon_config = load_daemon_config(config_path, env);
  if (!daemon_config.ok()) {
    print_errors(daemon_config.errors);
    return kExitConfig;
  }
  const DaemonConfig& config = *daemon_config.value;
  if (Status s = configure_logging(config.log_level, config.log_format); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", config_path.c_str(), s.error().message().c_str());
    return kExitConfig;
  }

  PipelineSet pipelines = load_pipeline_dir(config.pipelines_dir, builtin_registry(), env);
  check_shared_rate_limits(pipelines, config);
  if (!pipelines.errors.empty()) {
    print_errors(pipelines.errors);
    std::fprintf(stderr, "weft: not starting: %zu configuration error(s)\n",
                 pipelines.errors.size());
    return kExitConfig;
  }

  tune_allocator();
  auto state = open_sqlite_state_store(config.state_path);
  if (!state.ok()) {
    std::fprintf(stderr, "weft: not starting: %s\n", state.error().message().c_str());
    return kExitConfig;
  }

  auto shared_limits = RateLimiterRegistry::build(config.rate_limits);
  if (!shared_limits.ok()) {
    std::fprintf(stderr, "%s: %s\n", config_path.c_str(), shared_limits.error().message().c_str());
    return kExitConfig;
  }
  Daemon daemon(config, std::move(*state), std::move(*shared_limits));
  return daemon.run(std::move(pipelines));
}

}  // namespace weft::cli

#include "runtime/supervisor.h"

#include <atomic>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "runtime/events.h"
#include "runtime/logging.h"
#include "runtime/metrics.h"
#include "runtime/pipeline.h"
#include "state/state_store.h"

namespace weft {

// One pipeline name's place in the daemon. During a restart `current` is the draining old
// pipeline and `next` the configuration that starts once it has stopped.
struct Supervisor::Slot {
  std::shared_ptr<Pipeline> current;
  std::shared_ptr<PipelineMetrics> metrics;
  std::optional<PipelineConfig> next;
  bool removing = false;
};

Supervisor::Supervisor(boost::asio::io_context& io, StateStore& state, DaemonMetrics& metrics,
                       const Registry& registry, Environment env, std::string pipelines_dir,
                       std::chrono::milliseconds drain_deadline,
                       SharedServices shared)
    : io_(io),
      state_(state),
      metrics_(metrics),
      registry_(registry),
      env_(std::move(env)),
      pipelines_dir_(std::move(pipelines_dir)),
      drain_deadline_(drain_deadline),
      shared_(shared) {}

Supervisor::~Supervisor() = default;

void Supervisor::start(PipelineSet initial) {
  std::lock_guard lock(mutex_);
  record_config_errors_locked(initial.errors);
  for (auto& config : initial.pipelines) launch_locked(std::move(config));
}

void Supervisor::launch_locked(PipelineConfig config) {
  auto& slot = slots_[config.name];
  if (!slot) slot = std::make_unique<Slot>();
  // Metric series are per name; they are recreated only when the connector types change,
  // and only after the previous pipeline (which holds the old handles) has gone.
  if (!slot->metrics) {
    slot->metrics = std::make_shared<PipelineMetrics>(metrics_, config.name, config.source.type,
                                                      config.sink.type);
  }
  auto logger = make_logger(config.name);
  logger->info("starting pipeline from {}", config.file);
  slot->current =
      std::make_shared<Pipeline>(io_, std::move(config), state_, slot->metrics, logger,
                                 shared_);
  slot->current->start();
}

void Supervisor::restart_locked(Slot& slot, PipelineConfig config) {
  bool draining = slot.next.has_value();
  slot.next = std::move(config);
  if (draining) return;  // the pending stop callback picks up the newest config
  std::string name = slot.next->name;
  drain(slot.current, [this, name] {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(name);
    if (it == slots_.end() || shutting_down_) return;
    Slot& s = *it->second;
    PipelineConfig next = std::move(*s.next);
    s.next.reset();
    const auto& old = s.current->config();
    bool same_types = old.source.type == next.source.type && old.sink.type == next.sink.type;
    s.current.reset();
    if (!same_types) s.metrics.reset();
    launch_locked(std::move(next));
  });
}

void Supervisor::retire_locked(const std::string& name) {
  auto it = slots_.find(name);
  if (it == slots_.end() || it->second->removing) return;
  it->second->removing = true;
  it->second->next.reset();
  spdlog::info("pipeline {} removed from the configuration: draining", name);
  drain(it->second->current, [this, name] {
    std::lock_guard lock(mutex_);
    if (!shutting_down_) slots_.erase(name);
  });
}

void Supervisor::drain(const std::shared_ptr<Pipeline>& pipeline, std::function<void()> then) {
  // The timer lives on a strand: its wait handler and the cancel from the stop callback (which
  // runs on another thread) must not touch it concurrently.
  auto timer = std::make_shared<boost::asio::steady_timer>(boost::asio::make_strand(io_),
                                                           drain_deadline_);
  timer->async_wait([pipeline, timer](boost::system::error_code ec) {
    if (!ec) pipeline->abort();
  });
  pipeline->stop([timer, then = std::move(then)] {
    boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    then();
  });
}

void Supervisor::record_config_errors_locked(const Diagnostics& errors) {
  config_errors_.clear();
  for (const auto& d : errors) config_errors_.push_back(d.format());
  metrics_.config_reload_ok.Add({}).Set(errors.empty() ? 1 : 0);
  metrics_.config_reloads.Add({{"result", errors.empty() ? "success" : "failure"}}).Increment();
}

void Supervisor::reload() {
  PipelineSet loaded = load_pipeline_dir(pipelines_dir_, registry_, env_);
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  record_config_errors_locked(loaded.errors);
  for (const auto& d : loaded.errors) spdlog::error("reload: {}", d.format());
  if (!loaded.failed_files.empty()) {
    event::log(*spdlog::default_logger(), spdlog::level::err, event::kReloadRejected,
               "reload: " + std::to_string(loaded.failed_files.size()) +
                   " pipeline file(s) invalid; their pipelines keep their previous "
                   "configuration");
  }

  std::map<std::string, PipelineConfig*> wanted;
  for (auto& config : loaded.pipelines) wanted[config.name] = &config;

  // Names whose file failed to validate keep their running pipeline untouched.
  auto file_failed = [&](const std::string& file) {
    for (const auto& f : loaded.failed_files) {
      if (f == file) return true;
    }
    return false;
  };

  std::vector<std::string> to_retire;
  for (auto& [name, slot] : slots_) {
    if (slot->removing || wanted.count(name)) continue;
    if (file_failed(slot->current->config().file)) {
      spdlog::warn("reload: {} is invalid; pipeline {} keeps its previous configuration",
                   slot->current->config().file, name);
      continue;
    }
    to_retire.push_back(name);
  }
  for (const auto& name : to_retire) retire_locked(name);

  int started = 0, restarted = 0, unchanged = 0;
  for (auto& [name, config] : wanted) {
    auto it = slots_.find(name);
    if (it == slots_.end()) {
      launch_locked(std::move(*config));
      ++started;
      continue;
    }
    Slot& slot = *it->second;
    if (slot.removing) continue;  // still draining from an earlier removal; next reload adds it
    const PipelineSnapshot snapshot = slot.current->snapshot();
    bool changed = slot.current->config().fingerprint != config->fingerprint || slot.next;
    bool ended = snapshot.state == PipelineState::kFailed ||
                 snapshot.state == PipelineState::kStopped;
    // The operator fixed what made most records fail; the reload is how they say so.
    bool held = snapshot.delivery.dlq_guard_tripped;
    if (changed || ended || held) {
      spdlog::info("reload: restarting pipeline {} ({})", name,
                   changed ? "configuration changed"
                   : ended ? "it had stopped"
                           : "the dead-letter rate guard had paused it");
      restart_locked(slot, std::move(*config));
      ++restarted;
    } else {
      ++unchanged;
    }
  }
  event::log(*spdlog::default_logger(), spdlog::level::info, event::kReloadApplied,
             "reload: " + std::to_string(started) + " started, " + std::to_string(restarted) +
                 " restarted, " + std::to_string(unchanged) + " unchanged, " +
                 std::to_string(to_retire.size()) + " removed, " +
                 std::to_string(loaded.failed_files.size()) + " file(s) invalid");
}

void Supervisor::shutdown(std::chrono::milliseconds deadline,
                          std::function<void(bool drained)> done) {
  std::vector<std::shared_ptr<Pipeline>> running;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (auto& [name, slot] : slots_) running.push_back(slot->current);
  }
  struct Progress {
    Progress(boost::asio::io_context& io, std::size_t count, std::function<void(bool)> on_done)
        : remaining(count), done(std::move(on_done)), deadline(io) {}
    std::atomic<std::size_t> remaining;
    std::atomic<bool> aborted{false};
    std::function<void(bool)> done;
    boost::asio::steady_timer deadline;
  };
  auto progress = std::make_shared<Progress>(io_, running.size(), std::move(done));
  if (running.empty()) {
    boost::asio::post(io_, [progress] { progress->done(true); });
    return;
  }
  progress->deadline.expires_after(deadline);
  progress->deadline.async_wait([progress, running](boost::system::error_code ec) {
    if (ec) return;  // everything drained in time
    progress->aborted = true;
    for (auto& p : running) p->abort();
  });
  for (auto& p : running) {
    p->stop([progress] {
      if (--progress->remaining == 0) {
        progress->deadline.cancel();
        progress->done(!progress->aborted);
      }
    });
  }
}

std::vector<std::string> Supervisor::not_ready_reasons() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> reasons;
  for (const auto& [name, slot] : slots_) {
    PipelineSnapshot s = slot->current->snapshot();
    if (s.state == PipelineState::kPaused) continue;  // a notice: the operator chose it
    // Only a running pipeline is judged: a failed one says why itself, a finished one is done.
    if (s.state == PipelineState::kRunning && s.freshness.breached) {
      reasons.push_back("pipeline " + name + ": " + s.freshness.reason);
    }
    if (s.state == PipelineState::kRunning && s.error.empty()) continue;
    if (s.state == PipelineState::kFinished) continue;
    // A running pipeline with a problem (retrying a sink, a connector reporting itself
    // unhealthy, a checkpoint that failed) is degraded: moving, but not to be trusted yet.
    const bool degraded = s.state == PipelineState::kRunning;
    std::string reason = "pipeline " + name + ": " + (degraded ? "degraded" : to_string(s.state));
    if (!s.error.empty()) reason += ": " + s.error;
    reasons.push_back(std::move(reason));
  }
  for (const auto& e : config_errors_) reasons.push_back("config " + e);
  return reasons;
}

std::vector<std::string> Supervisor::notices() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, slot] : slots_) {
    PipelineSnapshot s = slot->current->snapshot();
    if (s.state != PipelineState::kPaused) continue;
    out.push_back("pipeline " + name + ": " + s.paused_text().get<std::string>() +
                  "; not an error");
  }
  return out;
}

Result<bool> Supervisor::set_paused(const std::string& name, bool paused) {
  std::shared_ptr<Pipeline> pipeline;
  {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(name);
    if (it == slots_.end() || it->second->removing) return false;
    pipeline = it->second->current;
  }
  // Saved first: a pause that would not survive a restart must not look as if it did.
  Status saved = state_.set_paused(name, paused);
  if (!saved.ok()) return saved.error();
  pipeline->set_paused(paused);
  return true;
}

std::shared_ptr<TapStream> Supervisor::tap(const std::string& name, TapStage stage,
                                            std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(name);
  if (it == slots_.end()) return nullptr;
  return it->second->current->tap(stage, limit);
}

namespace {

nlohmann::json describe(const Pipeline& p) {
  nlohmann::json out = p.snapshot().to_json();
  out["file"] = p.config().file;
  out["config"] = p.config().redacted();
  return out;
}

}  // namespace

nlohmann::json Supervisor::pipelines() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, slot] : slots_) out.push_back(describe(*slot->current));
  return out;
}

std::optional<nlohmann::json> Supervisor::pipeline(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(name);
  if (it == slots_.end()) return std::nullopt;
  return describe(*it->second->current);
}

StatusProvider::TriggerOutcome Supervisor::trigger(const std::string& name) {
  std::shared_ptr<Pipeline> pipeline;
  {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(name);
    if (it == slots_.end()) return TriggerOutcome::kNoSuchPipeline;
    pipeline = it->second->current;
  }
  if (pipeline->snapshot().state != PipelineState::kRunning) return TriggerOutcome::kNotRunning;
  return pipeline->trigger() ? TriggerOutcome::kStarted : TriggerOutcome::kNotScheduled;
}

}  // namespace weft

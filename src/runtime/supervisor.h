#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "config/environment.h"
#include "config/pipeline_config.h"
#include "runtime/shared_services.h"
#include "weft/registry.h"

namespace boost::asio {
class io_context;
}

namespace weft {

class DaemonMetrics;
class Pipeline;
class PipelineMetrics;
class StateStore;

// Owns the running pipelines: starts them, applies reloads, drains them on shutdown, and
// answers the admin server's status questions.
//
// Thread-safe: reload() and shutdown() run on io_context threads while the admin server reads
// status from others.
class Supervisor : public StatusProvider {
 public:
  // `drain_deadline` bounds how long a pipeline that a reload changes or removes may take to
  // drain before it is aborted (a sink that keeps failing must not block the new config).
  // `shared` services must outlive this.
  Supervisor(boost::asio::io_context& io, StateStore& state, DaemonMetrics& metrics,
             const Registry& registry, Environment env, std::string pipelines_dir,
             std::chrono::milliseconds drain_deadline, SharedServices shared = {});
  ~Supervisor() override;

  // Starts every pipeline in `initial`, which the caller has already checked.
  void start(PipelineSet initial);

  // Re-reads the pipeline directory (SIGHUP). A changed pipeline drains and restarts, an
  // unchanged one keeps running (a failed one is restarted), a removed one drains and goes
  // away, a new one starts. A file that no longer validates leaves its old pipeline running;
  // its errors are logged, kept as /readyz reasons and counted in weft_config_reloads_total.
  void reload();

  // Drains every pipeline. If they have not all stopped after `deadline`, aborts the rest
  // (their unacknowledged records are re-read on the next start). Calls `done(drained)` once,
  // on an io_context thread, after every pipeline has stopped.
  void shutdown(std::chrono::milliseconds deadline, std::function<void(bool drained)> done);

  std::vector<std::string> not_ready_reasons() const override;
  nlohmann::json pipelines() const override;
  std::optional<nlohmann::json> pipeline(const std::string& name) const override;
  TriggerOutcome trigger(const std::string& name) override;
  std::vector<std::string> notices() const override;
  Result<bool> set_paused(const std::string& name, bool paused) override;
  std::shared_ptr<TapStream> tap(const std::string& name, TapStage stage,
                                 std::size_t limit) override;

 private:
  struct Slot;
  void launch_locked(PipelineConfig config);
  void restart_locked(Slot& slot, PipelineConfig config);
  void retire_locked(const std::string& name);
  void record_config_errors_locked(const Diagnostics& errors);
  void drain(const std::shared_ptr<Pipeline>& pipeline, std::function<void()> then);

  boost::asio::io_context& io_;
  StateStore& state_;
  DaemonMetrics& metrics_;
  const Registry& registry_;
  Environment env_;
  std::string pipelines_dir_;
  std::chrono::milliseconds drain_deadline_;
  const SharedServices shared_;

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Slot>> slots_;
  std::vector<std::string> config_errors_;  // from the last load, formatted
  bool shutting_down_ = false;
};

}  // namespace weft

#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/admin_server.h"

namespace weft::test {

// A StatusProvider whose answers a test sets; thread-safe like the real one must be.
class FakeStatusProvider : public StatusProvider {
 public:
  void set_not_ready(std::vector<std::string> reasons) {
    std::lock_guard lock(mutex_);
    reasons_ = std::move(reasons);
  }
  void add_pipeline(const std::string& name, nlohmann::json object) {
    std::lock_guard lock(mutex_);
    pipelines_[name] = std::move(object);
  }
  void set_throws(bool throws) {
    std::lock_guard lock(mutex_);
    throws_ = throws;
  }

  std::vector<std::string> not_ready_reasons() const override {
    std::lock_guard lock(mutex_);
    maybe_throw();
    return reasons_;
  }
  nlohmann::json pipelines() const override {
    std::lock_guard lock(mutex_);
    maybe_throw();
    nlohmann::json all = nlohmann::json::array();
    for (const auto& [name, object] : pipelines_) all.push_back(object);
    return all;
  }
  void set_trigger_outcome(TriggerOutcome outcome) {
    std::lock_guard lock(mutex_);
    trigger_outcome_ = outcome;
  }
  std::vector<std::string> triggered() const {
    std::lock_guard lock(mutex_);
    return triggered_;
  }
  TriggerOutcome trigger(const std::string& name) override {
    std::lock_guard lock(mutex_);
    triggered_.push_back(name);
    return trigger_outcome_;
  }
  void add_notice(std::string notice) {
    std::lock_guard lock(mutex_);
    notices_.push_back(std::move(notice));
  }
  std::vector<std::string> notices() const override {
    std::lock_guard lock(mutex_);
    return notices_;
  }
  // set_paused answers with this error when set.
  void set_pause_error(std::optional<Error> error) {
    std::lock_guard lock(mutex_);
    pause_error_ = std::move(error);
  }
  std::vector<std::pair<std::string, bool>> pause_calls() const {
    std::lock_guard lock(mutex_);
    return pause_calls_;
  }
  Result<bool> set_paused(const std::string& name, bool paused) override {
    std::lock_guard lock(mutex_);
    if (pause_error_) return *pause_error_;
    if (pipelines_.count(name) == 0) return false;
    pause_calls_.emplace_back(name, paused);
    return true;
  }
  // The stream handed out by the last tap() and the stage it asked for.
  std::pair<std::shared_ptr<TapStream>, TapStage> last_tap() const {
    std::lock_guard lock(mutex_);
    return {last_tap_, last_stage_};
  }
  std::shared_ptr<TapStream> tap(const std::string& name, TapStage stage,
                                 std::size_t limit) override {
    std::lock_guard lock(mutex_);
    if (pipelines_.count(name) == 0) return nullptr;
    last_tap_ = std::make_shared<TapStream>(limit);
    last_stage_ = stage;
    return last_tap_;
  }
  std::optional<nlohmann::json> pipeline(const std::string& name) const override {
    std::lock_guard lock(mutex_);
    maybe_throw();
    const auto it = pipelines_.find(name);
    if (it == pipelines_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void maybe_throw() const {
    if (throws_) throw std::runtime_error("status provider exploded: secret internals");
  }

  mutable std::mutex mutex_;
  std::vector<std::string> reasons_;
  std::map<std::string, nlohmann::json> pipelines_;
  bool throws_ = false;
  TriggerOutcome trigger_outcome_ = TriggerOutcome::kStarted;
  std::vector<std::string> triggered_;
  std::vector<std::string> notices_;
  std::optional<Error> pause_error_;
  std::vector<std::pair<std::string, bool>> pause_calls_;
  std::shared_ptr<TapStream> last_tap_;
  TapStage last_stage_ = TapStage::kSource;
};

}  // namespace weft::test

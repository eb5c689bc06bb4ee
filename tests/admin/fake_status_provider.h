#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
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
};

}  // namespace weft::test

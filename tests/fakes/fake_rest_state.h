#pragma once

// Private to weft_fake_rest: what the request handler, the admin endpoints and FakeRestApi share.

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/auth.h"
#include "fakes/fake_rest_api.h"
#include "fakes/record_store.h"
#include "net/http_server.h"

namespace weft::fakes {

// What may change while serving; replaced whole, so a request reads one consistent version.
struct Settings {
  AuthConfig auth;
  bool gzip = true;
  int rate_limit_per_second = 0;
  bool sforce_limit_info = false;
};

// The X-RateLimit-* values for one data request, and whether it is over the enforced limit.
struct RateInfo {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset = 0;  // epoch seconds
  bool over = false;
};

// Thread-safe throughout.
class FakeRestState {
 public:
  explicit FakeRestState(const FakeRestApiOptions& options);

  RecordStore records;
  TokenIssuer tokens;
  const bool tls;
  std::string host;  // for links when a request has no Host header; set before serving
  std::atomic<unsigned short> port{0};

  std::shared_ptr<const Settings> settings() const;
  Status configure(const nlohmann::json& changes);

  Status add_fault(Fault fault);
  // Takes one use of the first queued fault matching the request, if any.
  std::optional<Fault> take_fault(std::string_view path, bool data_request);
  void clear_faults();

  // Counts a data request in the current one-second window.
  RateInfo count_data_request(int limit_per_second);

  // Logs a request outside /_admin with the status it got, and counts it.
  void record(const net::HttpRequest& request, int status, bool data_request, bool token_request);
  std::vector<LoggedRequest> requests() const;
  void clear_requests();
  void count_fault() { ++faults_served_; }
  void count_rate_limited() { ++rate_limited_; }
  std::uint64_t data_requests() const { return data_requests_; }
  FakeRestStats stats() const;

 private:
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  const std::size_t max_logged_;

  mutable std::mutex settings_mutex_;
  std::shared_ptr<const Settings> settings_;

  mutable std::mutex faults_mutex_;
  std::deque<Fault> faults_;
  std::atomic<std::size_t> fault_count_{0};  // lets requests skip the lock when none are queued

  std::mutex rate_mutex_;
  std::int64_t rate_second_ = 0;
  std::int64_t rate_count_ = 0;

  mutable std::mutex log_mutex_;
  std::vector<LoggedRequest> log_;
  std::map<int, std::uint64_t> by_status_;

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> data_requests_{0};
  std::atomic<std::uint64_t> token_requests_{0};
  std::atomic<std::uint64_t> faults_served_{0};
  std::atomic<std::uint64_t> rate_limited_{0};
  std::atomic<std::uint64_t> unauthorized_{0};
};

}  // namespace weft::fakes

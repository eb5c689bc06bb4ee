#pragma once

// Private to weft_fake_salesforce: what the request handler, the admin endpoints and
// FakeSalesforce share.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "fakes/salesforce/bulk.h"
#include "fakes/salesforce/fake_salesforce.h"
#include "fakes/salesforce/oauth.h"
#include "fakes/salesforce/sobject_store.h"

namespace weft::fakes::salesforce {

// What may change while serving; replaced whole, so a request reads one consistent version.
struct Settings {
  Credentials credentials;
  std::int64_t api_limit = 15000;
  std::chrono::milliseconds latency{0};
  int bulk_polls = 1;
};

// Settings from the options; invalid_config for a bad public key or a negative number.
Result<Settings> settings_from_options(const FakeSalesforceOptions& options);

// Thread-safe throughout.
class SalesforceState {
 public:
  SalesforceState(Settings settings, std::uint64_t shuffle_seed);

  SObjectStore store;
  SessionIssuer sessions;
  BulkJobs bulk;
  // "http://127.0.0.1:PORT", set once bound; "" before.
  std::string base_url() const;
  void set_base_url(std::string url);

  std::shared_ptr<const Settings> settings() const;
  Status configure(const nlohmann::json& changes);  // see FakeSalesforce::configure
  nlohmann::json config_json() const;

  void count_token_request(const std::string& grant_type);
  // Counts an authenticated data request; returns the count so far, this one included.
  std::uint64_t count_data_request() { return ++data_requests_; }
  void count_unauthorized() { ++unauthorized_; }
  void count_limit_exceeded() { ++limit_exceeded_; }
  void count_collections_request() { ++collections_requests_; }
  void enter();  // a request outside /_admin starts being answered
  void leave();  // ... and is answered
  FakeSalesforceStats stats() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Settings> settings_;
  std::map<std::string, std::uint64_t> token_requests_;
  std::string base_url_;

  std::atomic<std::uint64_t> data_requests_{0};
  std::atomic<std::uint64_t> unauthorized_{0};
  std::atomic<std::uint64_t> limit_exceeded_{0};
  std::atomic<std::uint64_t> collections_requests_{0};
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<std::uint64_t> max_in_flight_{0};
};

}  // namespace weft::fakes::salesforce

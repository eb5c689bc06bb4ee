#pragma once

// A fake Salesforce org for the tests and benchmarks of the salesforce sink (protocols.md §4):
// the OAuth 2.0 token endpoint (client credentials, password, refresh token, JWT bearer with a
// verified RS256 signature), sessions that can be expired, Sforce-Limit-Info and the org's
// request limit, sObject Collections upsert with per-record results, update and delete by Id,
// and Bulk API 2.0 ingest jobs, all writing one in-memory store. Tests inject per-record errors
// by external id value. Runs on net::HttpServer; whatever a test does through this class can also
// be done over HTTP on /_admin/... (admin_api.h), so weft-fake-salesforce can be driven the same.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "weft/status.h"

namespace boost::asio {
class io_context;
}

namespace weft::net {
class HttpServer;
}

namespace weft::fakes::salesforce {

struct FakeSalesforceOptions {
  std::string listen = "127.0.0.1:0";  // port 0: a free port, see FakeSalesforce::port()
  // The connected app (consumer key and secret) and the integration user; `password` includes
  // the security token. The token endpoint accepts exactly these.
  std::string client_id = "fake-consumer-key";
  std::string client_secret = "fake-consumer-secret";
  std::string username = "integration@example.com";
  std::string password = "password-and-security-token";
  std::string refresh_token = "fake-refresh-token";
  std::string jwt_audience = "https://login.salesforce.com";
  std::string jwt_public_key_pem;        // PEM public key or certificate; empty: JWT grant refused
  std::int64_t api_limit = 15000;        // data requests beyond this get 403 REQUEST_LIMIT_EXCEEDED
  std::chrono::milliseconds latency{0};  // added to every request outside /_admin
  int bulk_polls = 1;  // job GETs spent in UploadComplete, and again in InProgress (see bulk.h)
  std::uint64_t shuffle_seed = 42;  // the order of Bulk result rows
};

struct FakeSalesforceStats {
  std::map<std::string, std::uint64_t> token_requests;  // by grant_type ("" when none was given)
  std::uint64_t data_requests = 0;   // authenticated /services/data requests: the api-usage count
  std::uint64_t unauthorized = 0;    // 401 INVALID_SESSION_ID
  std::uint64_t limit_exceeded = 0;  // 403 REQUEST_LIMIT_EXCEEDED
  std::uint64_t collections_requests = 0;  // /composite/sobjects requests that were served
  std::uint64_t bulk_jobs = 0;             // jobs created
  std::uint64_t in_flight = 0;             // requests outside /_admin being answered now
  std::uint64_t max_in_flight = 0;         // the most there were at once
  std::uint64_t records = 0;               // in the store, all objects
};

nlohmann::json to_json(const FakeSalesforceStats& stats);

class SalesforceState;  // salesforce_state.h

// Every method is thread-safe and may be called while requests are being served.
class FakeSalesforce {
 public:
  // Binds and starts accepting on `io`, which the caller runs (on as many threads as it likes).
  // An invalid_config Error for a bad listen address, public key or option.
  static Result<std::unique_ptr<FakeSalesforce>> start(boost::asio::io_context& io,
                                                       FakeSalesforceOptions options);
  FakeSalesforce(std::shared_ptr<SalesforceState> state, std::unique_ptr<net::HttpServer> server);
  ~FakeSalesforce();  // stop()s; `io` must outlive the server's connections (see net::HttpServer)

  unsigned short port() const;
  // "http://127.0.0.1:PORT": the token endpoint's instance_url and the login URL alike.
  std::string base_url() const;
  void stop();

  // Changes settings while serving, all or none: {"client_id","client_secret","username",
  // "password","refresh_token","jwt_audience","jwt_public_key_pem"} (strings), "api_limit",
  // "api_usage" (sets the count of data requests), "latency_ms", "bulk_polls" (integers >= 0).
  // invalid_config for other keys, wrong types or a bad key.
  Status configure(const nlohmann::json& settings);
  nlohmann::json config() const;  // the current settings, in configure()'s shape

  // A per-record error by external id value, see InjectedError in errors.h:
  // {"external_id":"A1","code":"UNABLE_TO_LOCK_ROW","failures":2} or a permanent one
  // {"external_id":"A2","code":"STRING_TOO_LONG","message":"...","fields":["Name"]}.
  Status inject_error(const nlohmann::json& error);
  void clear_injected_errors();

  // Every session issued so far becomes invalid (401 INVALID_SESSION_ID); new ones work.
  void expire_sessions();

  // The stored records of `object` in creation order, each {"Id":...,<fields as written>}.
  nlohmann::json records(const std::string& object) const;
  void clear_records();

  FakeSalesforceStats stats() const;

 private:
  std::shared_ptr<SalesforceState> state_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace weft::fakes::salesforce

#pragma once

// A fake REST API for tests and benchmarks of the REST source: one set of records served through
// seven pagination styles (see listing_apis.h), with the auth schemes REST sources meet, an OAuth
// token endpoint, queued faults, rate-limit headers, gzip, and a log of the requests it got.
// Runs on net::HttpServer. Whatever a test does through this class can also be done over HTTP on
// /_admin/... (admin_api.h), so a process-level test or a benchmark can drive weft-fake-rest.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/auth.h"
#include "weft/status.h"

namespace boost::asio {
class io_context;
}

namespace weft::net {
class HttpServer;
}

namespace weft::fakes {

struct FakeRestApiOptions {
  std::string listen = "127.0.0.1:0";  // port 0: a free port, see FakeRestApi::port()
  std::string tls_cert_file;           // both set: HTTPS (net::HttpServerOptions)
  std::string tls_key_file;
  std::int64_t records = 1000;     // records 1..records, generated from their number
  AuthConfig auth;                 // for the data endpoints; /_admin and /oauth/token are open
  bool gzip = true;                // gzip bodies over 1 KiB for clients that accept it
  int rate_limit_per_second = 0;   // 0: not enforced (the X-RateLimit headers are still sent)
  bool sforce_limit_info = false;  // add Sforce-Limit-Info: api-usage=<n>/15000
  std::chrono::seconds token_lifetime{3600};  // OAuth expires_in
  std::size_t max_logged_requests = 1000000;  // the log keeps the first ones; stats count all
};

// A scripted failure, served to the next `count` matching requests instead of (or, with only a
// delay, before) their answer. Without a path_prefix it matches data requests; with one, any
// request outside /_admin whose path starts with it (so "/oauth/" targets the token endpoint).
struct Fault {
  int status = 0;  // 200..599; 0: answer normally after the delay
  int count = 1;
  std::string retry_after;  // a Retry-After header when not empty
  std::string path_prefix;
  std::chrono::milliseconds delay{0};
  std::string body;  // default {"error":"injected fault","status":N}
  std::string content_type = "application/json";
  // Dropping the connection without an answer: net::HttpServer has no way to do that (a handler
  // always answers), so add_fault refuses it.
  bool close = false;
};

// {"status":429,"count":3,"retry_after":"1","path_prefix":"/v1/","delay_ms":300,"body":"...",
// "content_type":"text/html","close":false}: every key optional, none other allowed, and a
// status or a delay_ms needed. invalid_config naming the problem otherwise.
Result<Fault> fault_from_json(const nlohmann::json& json);

// A request outside /_admin as the server answered it.
struct LoggedRequest {
  std::int64_t t_ms = 0;  // steady-clock milliseconds since the server started
  std::string method;
  std::string target;
  bool authorization = false;  // an Authorization header was present
  int status = 0;
};

struct FakeRestStats {
  std::uint64_t requests = 0;  // outside /_admin: data, token and unknown paths
  std::uint64_t data_requests = 0;
  std::uint64_t token_requests = 0;
  std::uint64_t tokens_issued = 0;
  std::uint64_t faults_served = 0;
  std::uint64_t rate_limited = 0;    // 429s from the enforced limit (not from faults)
  std::uint64_t unauthorized = 0;    // 401s on data endpoints
  std::uint64_t faults_pending = 0;  // requests the queued faults will still take
  std::int64_t records = 0;
  std::int64_t upserted = 0;
  std::map<int, std::uint64_t> by_status;
};

nlohmann::json to_json(const LoggedRequest& request);
nlohmann::json to_json(const FakeRestStats& stats);

class FakeRestState;  // fake_rest_state.h

// Every method is thread-safe and may be called while requests are being served.
class FakeRestApi {
 public:
  // Binds and starts accepting on `io`, which the caller runs (on as many threads as it likes).
  // An invalid_config Error for a bad listen address, TLS files or option.
  static Result<std::unique_ptr<FakeRestApi>> start(boost::asio::io_context& io,
                                                    FakeRestApiOptions options);
  FakeRestApi(std::shared_ptr<FakeRestState> state, std::unique_ptr<net::HttpServer> server);
  ~FakeRestApi();  // stop()s; `io` must outlive the server's connections (see net::HttpServer)

  unsigned short port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT" ("https://" with TLS)
  void stop();

  // See RecordStore::upsert: an object or an array of them, matched by "number".
  Status upsert_record(const nlohmann::json& records);
  Status add_fault(Fault fault);
  void clear_faults();
  std::vector<LoggedRequest> requests() const;
  void clear_requests();
  // Every OAuth access token issued so far stops working; refresh tokens still do.
  void expire_tokens();
  // {"rate_limit_per_second":5,"token_expires_in":2,"gzip":false,"sforce_limit_info":true,
  // "auth":"bearer:x"}: any of these keys; invalid_config for others or wrong types.
  Status configure(const nlohmann::json& settings);
  FakeRestStats stats() const;

 private:
  std::shared_ptr<FakeRestState> state_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace weft::fakes

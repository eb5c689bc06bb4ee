#pragma once

// An authenticated connection to one Salesforce org: the OAuth token (oauth_client.h) and the
// HTTP client, shared by the sObject Collections and Bulk API transports. Every data request
// goes through send(), which adds the bearer token, re-authenticates once on 401
// INVALID_SESSION_ID, and records the org's API usage from Sforce-Limit-Info.
//
// Threading: one strand, like net::HttpClient; several send() calls may be in flight.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "net/http_client.h"
#include "salesforce/oauth_client.h"
#include "weft/status.h"

namespace weft::salesforce {

// The org's API usage as the last response reported it ("api-usage=18/5000").
struct ApiUsage {
  std::int64_t used = 0;
  std::int64_t limit = 0;
  double ratio() const { return limit > 0 ? static_cast<double>(used) / limit : 0.0; }
};
std::optional<ApiUsage> parse_limit_info(std::string_view header);

class Session {
 public:
  Session(std::shared_ptr<net::HttpClient> http, std::unique_ptr<OAuthClient> oauth,
          std::string api_version);

  // Logs in (or reuses the cached token): wrong credentials fail here, permanently.
  boost::asio::awaitable<Status> login();

  // `path` below /services/data/vXX.X (e.g. "/composite/sobjects/Account/Ext__c"); `body` JSON
  // unless `content_type` says otherwise; `accept` what the response should be (Bulk result
  // files are CSV). Returns the response whatever its status, except a 401 that survives one
  // re-authentication (a permanent Error) and transport errors.
  boost::asio::awaitable<Result<net::ClientResponse>> send(
      std::string method, std::string path, std::string body,
      std::string content_type = "application/json", std::string accept = "application/json");

  // The last usage Sforce-Limit-Info reported (thread-safe, for metrics and health).
  ApiUsage usage() const;

 private:
  std::shared_ptr<net::HttpClient> http_;
  std::unique_ptr<OAuthClient> oauth_;
  std::string api_version_;
  std::atomic<std::int64_t> used_{0};
  std::atomic<std::int64_t> limit_{0};
};

}  // namespace weft::salesforce

#pragma once

// The settings of one `rest` source (docs/connectors/rest.md), checked and ready to use. Every
// cross-field rule lives in from(), so `weft validate` and the factory agree.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "delivery/json_path.h"
#include "rest/cursor_value.h"
#include "rest/schedule.h"
#include "weft/settings.h"
#include "weft/status.h"

namespace weft::rest {

enum class PaginatorType { kNone, kCursor, kStripe, kOffset, kPage, kLinkHeader, kNextUrl };

struct PaginatorConfig {
  PaginatorType type = PaginatorType::kNone;
  std::int64_t page_size = 100;
  std::string limit_param;  // empty: the page size is not sent
  std::optional<JsonPath> cursor_path;
  std::string cursor_header;
  std::string cursor_param = "cursor";
  std::optional<JsonPath> has_more_path;
  std::string after_param = "starting_after";
  std::optional<JsonPath> id_path;
  std::string offset_param = "offset";
  std::string page_param = "page";
  std::int64_t start_page = 1;
  std::optional<JsonPath> total_path;
  std::string total_header;
  std::optional<JsonPath> next_url_path;
  int concurrency = 1;
};

// The whole document: the default of path fields (JsonPath has no empty state).
inline JsonPath whole_document() { return JsonPath::parse("$").value(); }

struct IncrementalConfig {
  JsonPath cursor_field = whole_document();
  std::string param;  // empty: `{cursor}` in the url/query carries it
  std::optional<CursorValue> initial_value;
  std::chrono::milliseconds lookback{0};
  CursorType cursor_type = CursorType::kAuto;
};

enum class AuthType { kNone, kBearer, kBasic, kApiKey, kOAuth2 };

// A secret given inline or as a file read at connect time (so a rotated file is picked up by
// a restart). Never logged.
struct SecretSource {
  std::string value;
  std::string file;
  bool empty() const { return value.empty() && file.empty(); }
  Result<std::string> read(const std::string& field) const;
};

struct OAuthConfig {
  std::string token_url;
  bool refresh_grant = false;  // refresh_token grant instead of client_credentials
  std::string client_id;
  SecretSource client_secret;
  SecretSource refresh_token;
  std::string scope;
  bool client_auth_basic = true;
  std::chrono::milliseconds refresh_before{60000};
  std::map<std::string, std::string> params;
};

struct AuthConfig {
  AuthType type = AuthType::kNone;
  SecretSource token;  // bearer
  std::string username;
  SecretSource password;
  std::string key_name = "X-API-Key";
  bool key_in_query = false;
  SecretSource key;
  std::string key_prefix;
  OAuthConfig oauth;
};

struct RateLimitConfig {
  double requests_per_second = 0;
  std::size_t burst = 1;
  bool respect_headers = true;
};

struct RestConfig {
  std::string url;  // may contain {cursor}
  std::string method = "GET";
  std::string body;
  std::vector<std::pair<std::string, std::string>> query;  // values may contain {cursor}
  std::vector<std::pair<std::string, std::string>> headers;
  JsonPath records = whole_document();
  std::optional<JsonPath> primary_key;
  std::optional<JsonPath> event_time;
  PaginatorConfig paginator;
  std::optional<IncrementalConfig> incremental;
  AuthConfig auth;
  Schedule schedule;
  bool once = false;
  RateLimitConfig rate_limit;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds total_timeout{120000};
  std::string ca_file;
  bool tls_insecure = false;
  std::size_t max_page_bytes = 32 * 1024 * 1024;
  std::int64_t max_pages_per_run = 0;

  // Query parameters whose values are secrets (an API key in the query), for redaction.
  std::vector<std::string> secret_query_params() const;

  // invalid_config starting "field 'x.y': " when a path, cron expression, URL or a combination
  // of fields is wrong (a cursor paginator with neither cursor_path nor cursor_header, bearer
  // without a token, ...).
  static Result<RestConfig> from(const Settings& settings);
};

}  // namespace weft::rest

#include "connectors/sources/rest/config.h"

#include "rest/rest_config.h"
#include "rest/rest_source.h"

namespace weft::rest {
namespace {

ConfigSpec paginator_spec() {
  ConfigSpec s;
  s.enumeration("type", {"none", "cursor", "stripe", "offset", "page", "link_header", "next_url"})
      .default_value("none")
      .description(
          "How the next page is found: `cursor` (a token from the body or a header, sent back "
          "as a parameter), `stripe` (`has_more` + `starting_after` = the last record's id), "
          "`offset` (offset/limit), `page` (page numbers), `link_header` (RFC 8288 "
          "`Link: <...>; rel=\"next\"`), `next_url` (a full URL in the body), `none` (one "
          "page)");
  s.integer("page_size")
      .default_value("100")
      .min(1)
      .max(100000)
      .description("Records asked for per page, sent as `limit_param`");
  s.string("limit_param")
      .description(
          "Query parameter carrying `page_size` (default `limit`; `page_size` for `page`); "
          "empty: not sent")
      .example("sysparm_limit");
  s.string("cursor_path")
      .description("cursor: JSON path of the next cursor in the body")
      .example("$.next_cursor");
  s.string("cursor_header")
      .description("cursor: response header carrying the next cursor")
      .example("X-Next-Cursor");
  s.string("cursor_param")
      .default_value("cursor")
      .description("cursor: query parameter the cursor is sent back in");
  s.string("has_more_path")
      .default_value("$.has_more")
      .description("stripe: JSON path of the boolean saying more pages follow");
  s.string("after_param")
      .default_value("starting_after")
      .description("stripe: query parameter carrying the last record's id");
  s.string("id_path").default_value("$.id").description(
      "stripe: JSON path of a record's id inside the record");
  s.string("offset_param")
      .default_value("offset")
      .description("offset: query parameter of the first record's offset")
      .example("sysparm_offset");
  s.string("page_param")
      .default_value("page")
      .description("page: query parameter of the page number");
  s.integer("start_page").default_value("1").min(0).description("page: number of the first page");
  s.string("total_path")
      .description(
          "offset: JSON path of the total record count; page: of the total page count. "
          "Without it (or `total_header`) paging stops at the first short or empty page")
      .example("$.total_pages");
  s.string("total_header")
      .description("offset/page: response header with the total (records or pages)")
      .example("X-Total-Count");
  s.string("next_url_path")
      .default_value("$.next")
      .description("next_url: JSON path of the next page's URL (absent or null on the last)");
  s.integer("concurrency")
      .default_value("1")
      .min(1)
      .max(32)
      .description(
          "offset/page with a known total: pages fetched at once. Records are still emitted "
          "in page order");
  return s;
}

ConfigSpec incremental_spec() {
  ConfigSpec s;
  s.string("cursor_field")
      .required()
      .description(
          "JSON path, inside each record, of the value that grows as records are created or "
          "changed; the largest value delivered is kept and the next run asks for records from "
          "it on")
      .example("$.updated_at")
      .example("$.created");
  s.string("param")
      .description(
          "Query parameter the start value is sent in. Alternatively write `{cursor}` into "
          "`url` or a `query` value (ServiceNow's `sysparm_query`)")
      .example("created[gte]")
      .example("since");
  s.string("initial_value")
      .description("Start value of the very first run; unset: the first run asks for everything")
      .example("'2024-01-01T00:00:00Z'")
      .example("'1700000000'");
  s.duration("lookback")
      .default_value("0s")
      .description(
          "Subtracted from the start value of each run, to pick up updates that arrive late "
          "(timestamps and epoch seconds; records seen again are delivered again)");
  s.enumeration("cursor_type",
                {"auto", "timestamp", "epoch_seconds", "epoch_millis", "number", "string"})
      .default_value("auto")
      .description(
          "How cursor values compare: `auto` treats JSON numbers as numbers and text that "
          "parses as an ISO-8601 or `YYYY-MM-DD HH:MM:SS` time as a timestamp, anything else as "
          "text");
  return s;
}

ConfigSpec oauth_spec() {
  ConfigSpec s;
  s.string("token_url")
      .description("OAuth 2.0 token endpoint")
      .example("https://auth.example.com/oauth/token");
  s.enumeration("grant_type", {"client_credentials", "refresh_token"})
      .default_value("client_credentials")
      .description("The grant used to obtain access tokens");
  s.string("client_id").description("OAuth client id").example("${CLIENT_ID}");
  s.string("client_secret").secret().description("OAuth client secret").example("${CLIENT_SECRET}");
  s.path("client_secret_file").description("A file holding the client secret");
  s.string("refresh_token").secret().description("refresh_token: the long-lived refresh token");
  s.path("refresh_token_file").description("refresh_token: a file holding the refresh token");
  s.string("scope").description("Space-separated scopes to ask for").example("read:customers");
  s.enumeration("client_auth", {"basic", "body"})
      .default_value("basic")
      .description("Client credentials as HTTP Basic (RFC 6749's default) or in the form body");
  s.duration("refresh_before")
      .default_value("60s")
      .description("A cached token is renewed this long before it expires");
  s.string_map("params").description("Extra form parameters (e.g. `audience`)");
  return s;
}

ConfigSpec auth_spec() {
  ConfigSpec s;
  s.enumeration("type", {"none", "bearer", "basic", "api_key", "oauth2"})
      .default_value("none")
      .description("How requests authenticate");
  s.string("token").secret().description("bearer: the token").example("${API_TOKEN}");
  s.path("token_file").description("bearer: a file holding the token (read at each start)");
  s.string("username").description("basic: user name");
  s.string("password").secret().description("basic: password").example("${API_PASSWORD}");
  s.path("password_file").description("basic: a file holding the password");
  s.string("name")
      .default_value("X-API-Key")
      .description("api_key: header or query parameter name")
      .example("api_key");
  s.enumeration("in", {"header", "query"})
      .default_value("header")
      .description("api_key: where the key goes");
  s.string("value").secret().description("api_key: the key").example("${API_KEY}");
  s.path("value_file").description("api_key: a file holding the key");
  s.string("prefix").default_value("").description(
      "api_key in a header: text before the key, e.g. `Token `");
  s.object("oauth2", oauth_spec()).description("oauth2: the token endpoint and credentials");
  return s;
}

ConfigSpec schedule_spec() {
  ConfigSpec s;
  s.duration("interval")
      .min(1000)
      .description("Time from the start of one run to the start of the next (default 5m)")
      .example("15m");
  s.string("cron")
      .description(
          "A five-field cron expression in UTC (minute hour day-of-month month day-of-week; "
          "`*`, lists, ranges, `*/n` steps) instead of an interval")
      .example("'*/15 * * * *'")
      .example("'0 2 * * 1-5'");
  s.boolean("once").default_value("false").description(
      "Run once and finish the pipeline (a backfill)");
  return s;
}

ConfigSpec rate_limit_spec() {
  ConfigSpec s;
  s.number("requests_per_second")
      .default_value("0")
      .min(0)
      .description("Requests per second at most; 0: no limit of weft's own");
  s.integer("burst").default_value("1").min(1).description("Requests allowed at once");
  s.boolean("respect_headers")
      .default_value("true")
      .description(
          "Wait for the reset when `X-RateLimit-Remaining` reaches 0 (and honour Retry-After "
          "on 429 either way)");
  return s;
}

ConfigSpec timeout_spec() {
  ConfigSpec s;
  s.duration("connect").default_value("10s").min(1).description("DNS, TCP and TLS set-up");
  s.duration("read").default_value("30s").min(1).description("Longest silence in a response");
  s.duration("total").default_value("2m").min(1).description("One request, redirects included");
  return s;
}

ConfigSpec tls_spec() {
  ConfigSpec s;
  s.path("ca_file").description("PEM bundle trusted in addition to the system's CAs");
  s.boolean("insecure")
      .default_value("false")
      .description("Skip certificate and host name checks (logged as a warning; tests only)");
  return s;
}

}  // namespace

ConnectorInfo info() {
  ConnectorInfo info;
  info.type = "rest";
  info.kind = ConnectorKind::kSource;
  info.summary =
      "Polls an HTTP JSON API on a schedule, page by page, and resumes exactly where it "
      "stopped: declarative pagination, incremental sync by a cursor field, auth, rate limits.";
  info.example =
      "type: rest\n"
      "url: https://api.stripe.com/v1/customers\n"
      "records: $.data\n"
      "primary_key: $.id\n"
      "paginator: {type: stripe, page_size: 100}\n"
      "incremental: {cursor_field: $.created, param: 'created[gte]', lookback: 1h}\n"
      "auth: {type: bearer, token: '${STRIPE_API_KEY}'}\n"
      "schedule: {interval: 15m}\n"
      "rate_limit: {requests_per_second: 20}\n";
  auto& spec = info.spec;
  spec.string("url")
      .required()
      .description("The first page's URL; may contain `{cursor}` (the incremental start value)")
      .example("https://api.example.com/v1/customers");
  spec.enumeration("method", {"GET", "POST"}).default_value("GET").description("HTTP method");
  spec.string("body").description("POST: request body (JSON); may contain `{cursor}`");
  spec.string_map("query")
      .description("Query parameters sent with every page; values may contain `{cursor}`")
      .example("{state: all, per_page: '100'}");
  spec.string_map("headers")
      .description("Headers sent with every request")
      .example("{Stripe-Version: '2024-06-20'}");
  spec.string("records")
      .default_value("$")
      .description("JSON path of the array of records in a page (`$`: the body is the array)")
      .example("$.data");
  spec.string("primary_key")
      .description(
          "JSON path of a record's id: becomes the record key, and lets a resumed run skip "
          "exactly what was delivered even if the page changed")
      .example("$.id");
  spec.string("event_time")
      .description("JSON path of the record's event time (ISO-8601 or epoch seconds)")
      .example("$.updated_at");
  spec.object("paginator", paginator_spec()).description("Pagination");
  spec.object("incremental", incremental_spec())
      .description("Incremental sync; without it every run reads everything (full refresh)");
  spec.object("auth", auth_spec()).description("Authentication");
  spec.object("schedule", schedule_spec()).description("When runs start");
  spec.object("rate_limit", rate_limit_spec()).description("Client-side rate limiting");
  spec.object("timeout", timeout_spec()).description("Request timeouts");
  spec.object("tls", tls_spec()).description("TLS verification");
  spec.size("max_page_size")
      .default_value("32MiB")
      .min(1024)
      .description("Largest page body accepted (after decompression); larger is an error");
  spec.integer("max_pages_per_run")
      .default_value("0")
      .min(0)
      .description("Stop a run after this many pages (a guard); 0: no limit");
  parse_then_build(info, RestConfig::from, make_rest_source);
  return info;
}

}  // namespace weft::rest

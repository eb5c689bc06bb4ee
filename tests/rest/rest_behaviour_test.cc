// The rest source's incremental sync, failure handling, auth, rate limits, TLS and proxying,
// against the fake API.

#include <cstdlib>

#include "net/http_test_client.h"
#include "rest/rest_position.h"
#include "rest/rest_source_fixture.h"
#include "support/connect_proxy.h"
#include "support/http_client.h"

namespace weft::rest {
namespace {

using nlohmann::json;

constexpr const char* kStripe =
    "url: '{api}/v1/customers'\nrecords: $.data\nprimary_key: $.id\n"
    "paginator: {type: stripe, page_size: 100}\n";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(RestSourceTest, AnIncrementalRunReadsOnlyNewAndChangedRecords) {
  const std::string block = std::string(kStripe) +
                            "incremental: {cursor_field: $.created, param: 'created[gt]'}\n"
                            "schedule: {interval: 1h}\n";
  ASSERT_TRUE(start(block).ok());
  Drained first = drain(1000);
  ASSERT_EQ(first.records.size(), 1000u);
  // Two records change and one is new, all later than anything read.
  ASSERT_TRUE(api_->upsert_record(json::array({{{"number", 5}, {"created", 1800000000}},
                                               {{"number", 700}, {"created", 1800000001}},
                                               {{"number", 1001}, {"created", 1800000002}}}))
                  .ok());
  EXPECT_EQ(read_idle(), 0u);  // the next run is an hour away
  EXPECT_TRUE(source_->trigger());
  Drained second = drain(3);
  ASSERT_EQ(second.records.size(), 3u);
  EXPECT_EQ(second.keys(), (std::set<std::string>{"cus_0000005", "cus_0000700", "cus_0001001"}));
  EXPECT_TRUE(contains(api_->requests().back().target, "created%5Bgt%5D=1700001000"));

  // A restart from the run's last checkpoint asks from the newest value delivered.
  api_->clear_requests();
  ASSERT_TRUE(start(block, second.records.back().position).ok());
  EXPECT_TRUE(source_->trigger());
  EXPECT_EQ(read_idle(), 0u);
  ASSERT_FALSE(api_->requests().empty());
  EXPECT_TRUE(contains(api_->requests().front().target, "created%5Bgt%5D=1800000002"));
}

TEST_F(RestSourceTest, TheCursorGoesIntoATemplateWithLookback) {
  ASSERT_TRUE(
      start("url: '{api}/api/now/table/incident'\nrecords: $.result\nprimary_key: $.sys_id\n"
            "query: {sysparm_query: 'sys_updated_on>={cursor}^ORDERBYsys_updated_on'}\n"
            "paginator: {type: offset, offset_param: sysparm_offset, limit_param: "
            "sysparm_limit, total_header: X-Total-Count}\n"
            "incremental: {cursor_field: $.sys_updated_on, initial_value: "
            "'2023-11-14 22:20:00', lookback: 1m}\nschedule: {once: true}\n")
          .ok());
  Drained d = drain();
  // Record i was updated at 1700000000 + i = 2023-11-14 22:13:20 + i s; from 22:19:00 on.
  EXPECT_EQ(d.records.size(), 1000u - 339u);
  EXPECT_TRUE(contains(api_->requests().front().target,
                       "sysparm_query=sys_updated_on%3E%3D2023-11-14%2022%3A19%3A00"))
      << api_->requests().front().target;
}

TEST_F(RestSourceTest, TooManyRequestsAndServerErrorsAreRetriedWithoutLosingAPage) {
  ASSERT_TRUE(start(std::string(kStripe) + "schedule: {once: true}\n").ok());
  Drained part = drain(250);
  fakes::Fault busy;
  busy.status = 429;
  busy.retry_after = "2";
  ASSERT_TRUE(api_->add_fault(busy).ok());
  fakes::Fault down;
  down.status = 503;
  down.count = 3;
  ASSERT_TRUE(api_->add_fault(down).ok());
  Drained rest = drain();
  ASSERT_EQ(rest.errors.size(), 4u);
  EXPECT_TRUE(rest.errors[0].retryable());
  EXPECT_EQ(rest.errors[0].retry_after(), std::chrono::milliseconds(2000));
  EXPECT_TRUE(contains(rest.errors[0].message(), "HTTP 429")) << rest.errors[0].message();
  EXPECT_TRUE(rest.errors[1].retryable());
  EXPECT_EQ(part.records.size() + rest.records.size(), 1000u);
  std::set<std::string> keys = part.keys();
  for (const auto& k : rest.keys()) keys.insert(k);
  EXPECT_EQ(keys.size(), 1000u);
  EXPECT_TRUE(contains(metrics(), "weft_rest_requests_total{code=\"503\",pipeline=\"rest\"} 3"));
}

TEST_F(RestSourceTest, BadPagesArePermanentErrorsNamingTheUrlButNotTheKey) {
  fakes::FakeRestApiOptions options;
  options.auth = fakes::parse_auth("api_key_query:api_key:k-SECRET").value();
  start_api(options);
  const std::string block = std::string(kStripe) +
                            "auth: {type: api_key, in: query, name: api_key, value: k-SECRET}\n"
                            "schedule: {once: true}\n";
  fakes::Fault html;
  html.status = 200;
  html.body = "<html>maintenance</html>";
  html.content_type = "text/html";
  ASSERT_TRUE(api_->add_fault(html).ok());
  ASSERT_TRUE(start(block).ok());
  Drained d = drain(SIZE_MAX, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  const std::string& message = d.errors[0].message();
  EXPECT_EQ(d.errors[0].kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(message, "not JSON (Content-Type text/html)")) << message;
  EXPECT_TRUE(contains(message, "/v1/customers?limit=100")) << message;
  EXPECT_FALSE(contains(message, "k-SECRET")) << message;

  // The same key, wrong: a 401 the source cannot fix is permanent too.
  ASSERT_TRUE(start(std::string(kStripe) + "auth: {type: api_key, in: query, name: api_key, "
                                           "value: k-WRONG}\nschedule: {once: true}\n")
                  .ok());
  d = drain(SIZE_MAX, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(d.errors[0].message(), "HTTP 401")) << d.errors[0].message();
  EXPECT_TRUE(contains(d.errors[0].message(), "api_key=***")) << d.errors[0].message();
  EXPECT_FALSE(contains(d.errors[0].message(), "k-WRONG")) << d.errors[0].message();
}

TEST_F(RestSourceTest, SlowPagesTimeOutAndAreFetchedAgain) {
  fakes::Fault slow;
  slow.delay = std::chrono::milliseconds(1500);
  ASSERT_TRUE(api_->add_fault(slow).ok());
  ASSERT_TRUE(
      start(std::string(kStripe) + "timeout: {read: 300ms}\nschedule: {once: true}\n").ok());
  Drained d = drain();
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_TRUE(d.errors[0].retryable());
  EXPECT_TRUE(contains(d.errors[0].message(), "timeout")) << d.errors[0].message();
  EXPECT_EQ(d.records.size(), 1000u);
  EXPECT_EQ(d.keys().size(), 1000u);
}

TEST_F(RestSourceTest, APageOverTheSizeLimitIsAPermanentError) {
  ASSERT_TRUE(start(std::string(kStripe) + "max_page_size: 4KiB\nschedule: {once: true}\n").ok());
  Drained d = drain(SIZE_MAX, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(d.errors[0].message(), "/v1/customers?limit=100")) << d.errors[0].message();
  EXPECT_TRUE(d.records.empty());
}

TEST_F(RestSourceTest, ASelectorThatFindsNothingSaysWhatThePageHas) {
  ASSERT_TRUE(start("url: '{api}/v1/customers'\nrecords: $.items\nschedule: {once: true}\n").ok());
  Drained d = drain(SIZE_MAX, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_TRUE(contains(d.errors[0].message(), "records path '$.items' found nothing"))
      << d.errors[0].message();
  EXPECT_TRUE(contains(d.errors[0].message(), "the response has: data, has_more"))
      << d.errors[0].message();
}

TEST_F(RestSourceTest, ACursorThatRepeatsStopsTheRunInsteadOfLooping) {
  fakes::Fault same;
  same.status = 200;
  same.count = 5;
  same.body = R"({"items":[{"number":1}],"next_cursor":"again"})";
  ASSERT_TRUE(api_->add_fault(same).ok());
  ASSERT_TRUE(start("url: '{api}/cursor/items'\nrecords: $.items\n"
                    "paginator: {type: cursor, cursor_path: $.next_cursor}\n"
                    "schedule: {once: true}\n")
                  .ok());
  Drained d = drain(SIZE_MAX, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(d.errors[0].message(), "same next page twice")) << d.errors[0].message();
  EXPECT_EQ(data_requests(), 2u);
}

TEST_F(RestSourceTest, OAuthTokensAreCachedAndRenewedOnceWhenTheApiSaysTheyExpired) {
  fakes::FakeRestApiOptions options;
  options.auth = fakes::parse_auth("oauth:client-1:s3cret").value();
  start_api(options);
  ASSERT_TRUE(start(std::string(kStripe) +
                    "auth: {type: oauth2, oauth2: {token_url: '{api}/oauth/token', client_id: "
                    "client-1, client_secret: s3cret}}\nschedule: {once: true}\n")
                  .ok());
  Drained part = drain(300);
  EXPECT_EQ(api_->stats().token_requests, 1u);
  api_->expire_tokens();
  Drained rest = drain();
  EXPECT_TRUE(rest.errors.empty()) << rest.errors.front().message();
  EXPECT_EQ(part.records.size() + rest.records.size(), 1000u);
  EXPECT_EQ(api_->stats().token_requests, 2u);
  EXPECT_EQ(api_->stats().unauthorized, 1u);
}

TEST_F(RestSourceTest, OAuthRefreshTokenGrantAndRejectedClients) {
  fakes::FakeRestApiOptions options;
  options.auth = fakes::parse_auth("oauth:client-1:s3cret").value();
  options.token_lifetime = std::chrono::seconds(3600);
  start_api(options);
  // Client credentials once, to get a refresh token from the fake.
  auto token = test::http_request("POST", "127.0.0.1", api_->port(), "/oauth/token",
                                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                                  "grant_type=client_credentials&client_id=client-1&"
                                  "client_secret=s3cret");
  ASSERT_EQ(token.status, 200) << token.body;
  const std::string refresh = json::parse(token.body)["refresh_token"];
  ASSERT_TRUE(start(std::string(kStripe) +
                    "auth: {type: oauth2, oauth2: {token_url: '{api}/oauth/token', grant_type: "
                    "refresh_token, refresh_token: '" +
                    refresh +
                    "', client_id: client-1, "
                    "client_secret: s3cret, client_auth: body}}\nschedule: {once: true}\n")
                  .ok());
  EXPECT_EQ(drain().records.size(), 1000u);

  ASSERT_TRUE(start(std::string(kStripe) +
                    "auth: {type: oauth2, oauth2: {token_url: '{api}/oauth/token', client_id: "
                    "client-1, client_secret: wrong}}\nschedule: {once: true}\n")
                  .ok());
  Drained d = drain(SIZE_MAX, 1);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(d.errors[0].message(), "oauth2 token request")) << d.errors[0].message();
  EXPECT_TRUE(contains(d.errors[0].message(), "invalid_client")) << d.errors[0].message();
}

TEST_F(RestSourceTest, BearerAndBasicCredentialsAreSent) {
  fakes::FakeRestApiOptions options;
  options.auth = fakes::parse_auth("basic:ops:pa:ss").value();
  start_api(options);
  ASSERT_TRUE(start(std::string(kStripe) + "auth: {type: basic, username: ops, password: "
                                           "'pa:ss'}\nschedule: {once: true}\n")
                  .ok());
  EXPECT_EQ(drain().records.size(), 1000u);
  options.auth = fakes::parse_auth("bearer:tok-1").value();
  start_api(options);
  const std::string token_file = temp_.write("token", "tok-1\n");
  ASSERT_TRUE(start(std::string(kStripe) + "auth: {type: bearer, token_file: '" + token_file +
                    "'}\nschedule: {once: true}\n")
                  .ok());
  EXPECT_EQ(drain().records.size(), 1000u);
}

TEST_F(RestSourceTest, RequestsPerSecondSpacesRequestsOut) {
  ASSERT_TRUE(start("url: '{api}/v1/customers'\nrecords: $.data\npaginator: {type: stripe, "
                    "page_size: 50}\nrate_limit: {requests_per_second: 20, burst: 1}\n"
                    "schedule: {once: true}\n")
                  .ok());
  EXPECT_EQ(drain().records.size(), 1000u);
  auto log = api_->requests();
  ASSERT_EQ(log.size(), 20u);
  // 20 requests at 20/s with a burst of 1 are reserved 50 ms apart, so the last reaches the
  // API at least 19 intervals after the first, less the first one's connection set-up: one
  // interval of slack keeps this a bound the token bucket guarantees, not a timing race
  // (unlimited, the 20 requests take a few milliseconds).
  EXPECT_GE(log.back().t_ms - log.front().t_ms, 18 * 50);
}

TEST_F(RestSourceTest, AnExhaustedRateLimitWaitsForItsReset) {
  fakes::FakeRestApiOptions options;
  options.rate_limit_per_second = 5;
  start_api(options);
  ASSERT_TRUE(start("url: '{api}/v1/customers'\nrecords: $.data\npaginator: {type: stripe, "
                    "page_size: 100}\nschedule: {once: true}\n")
                  .ok());
  Drained d = drain();
  EXPECT_EQ(d.records.size(), 1000u);
  // The source waited for X-RateLimit-Reset instead of running into 429s (at most one, when a
  // window turns over between the header and the request).
  EXPECT_LE(api_->stats().rate_limited, 1u);
  EXPECT_TRUE(contains(metrics(), "weft_rest_rate_limit_remaining{pipeline=\"rest\"}"));
}

TEST_F(RestSourceTest, SalesforceStyleUsageIsAMetric) {
  fakes::FakeRestApiOptions options;
  options.sforce_limit_info = true;
  start_api(options);
  ASSERT_TRUE(start(std::string(kStripe) + "schedule: {once: true}\n").ok());
  EXPECT_EQ(drain().records.size(), 1000u);
  // api-usage=10/15000 after ten requests.
  EXPECT_TRUE(contains(metrics(), "weft_rest_api_usage_ratio{pipeline=\"rest\"} 0.000666"))
      << metrics();
}

TEST_F(RestSourceTest, TlsWithAPrivateCaAndThroughAProxy) {
  const std::string cert = temp_.file("cert.pem");
  const std::string key = temp_.file("key.pem");
  ASSERT_TRUE(test::write_self_signed_certificate(cert, key));
  fakes::FakeRestApiOptions options;
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  start_api(options);
  const std::string url = "https://localhost:" + std::to_string(api_->port());
  const std::string block = "url: '" + url +
                            "/v1/customers'\nrecords: $.data\nprimary_key: $.id\n"
                            "paginator: {type: stripe}\nschedule: {once: true}\n";
  ASSERT_TRUE(start(block).ok());
  Drained untrusted = drain(SIZE_MAX, 1);
  ASSERT_EQ(untrusted.errors.size(), 1u);
  EXPECT_EQ(untrusted.errors[0].kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(untrusted.errors[0].message(), "certificate"))
      << untrusted.errors[0].message();

  ASSERT_TRUE(start(block + "tls: {ca_file: '" + cert + "'}\n").ok());
  EXPECT_EQ(drain().records.size(), 1000u);

  test::ConnectProxy proxy;
  ::setenv("HTTPS_PROXY", proxy.url().c_str(), 1);
  Status connected = start(block + "tls: {ca_file: '" + cert + "'}\n");
  ::unsetenv("HTTPS_PROXY");
  ASSERT_TRUE(connected.ok());
  EXPECT_EQ(drain().records.size(), 1000u);
  EXPECT_GE(proxy.tunnels(), 1);
}

TEST_F(RestSourceTest, TriggerStartsTheNextRunAtOnce) {
  ASSERT_TRUE(start(std::string(kStripe) + "schedule: {cron: '0 0 1 1 *'}\n").ok());
  EXPECT_EQ(drain(1000).records.size(), 1000u);  // the first run starts right away
  EXPECT_EQ(read_idle(), 0u);
  EXPECT_TRUE(source_->trigger());
  EXPECT_EQ(drain(1000).records.size(), 1000u);  // a full refresh reads everything again
}

}  // namespace
}  // namespace weft::rest

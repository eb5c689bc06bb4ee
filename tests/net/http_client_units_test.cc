// The HTTP client's pure parts: status classification, Retry-After, proxy selection with
// NO_PROXY, and content decoding. No sockets.

#include <gtest/gtest.h>
#include <stdlib.h>  // setenv, unsetenv

#include <string>

#include "net/content_decoding.h"
#include "net/http_client.h"
#include "net/http_client_fixture.h"

namespace weft::net {
namespace {

using namespace std::chrono_literals;

ClientResponse response_with(int status, std::string body = "", HeaderList headers = {}) {
  ClientResponse out;
  out.status = status;
  out.body = std::move(body);
  out.headers = std::move(headers);
  out.url = "https://api.example.com/v1/x?api_key=abc";
  return out;
}

ClientRequest get_request() {
  ClientRequest out;
  out.url = "https://api.example.com/v1/x?api_key=abc";
  return out;
}

TEST(CheckStatus, TwoHundredsAreOk) {
  EXPECT_TRUE(check_status(get_request(), response_with(200)).ok());
  EXPECT_TRUE(check_status(get_request(), response_with(204)).ok());
}

TEST(CheckStatus, ClientErrorsArePermanentAndSayWhat) {
  const Status status =
      check_status(get_request(), response_with(404, "{\"error\":\n\"no such\"}"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(status.error().message(),
            "GET https://api.example.com/v1/x?api_key=***: HTTP 404 Not Found: "
            "{\"error\": \"no such\"}");
  EXPECT_EQ(check_status(get_request(), response_with(401)).error().message(),
            "GET https://api.example.com/v1/x?api_key=***: HTTP 401 Unauthorized");
}

TEST(CheckStatus, ThrottlingAndServerErrorsAreRetryableWithRetryAfter) {
  const Status throttled =
      check_status(get_request(), response_with(429, "slow down", {{"retry-after", "3"}}));
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(throttled.error().retry_after(), std::chrono::milliseconds(3000));
  EXPECT_EQ(throttled.error().message(),
            "GET https://api.example.com/v1/x?api_key=***: HTTP 429 Too Many Requests: slow down");

  const Status unavailable = check_status(get_request(), response_with(503));
  ASSERT_FALSE(unavailable.ok());
  EXPECT_EQ(unavailable.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(unavailable.error().retry_after(), std::nullopt);
  for (int status : {408, 425, 500, 502, 504, 599}) {
    EXPECT_EQ(check_status(get_request(), response_with(status)).error().kind(),
              ErrorKind::kRetryable)
        << status;
  }
  for (int status : {301, 400, 403, 409, 422}) {
    EXPECT_EQ(check_status(get_request(), response_with(status)).error().kind(),
              ErrorKind::kPermanent)
        << status;
  }
}

TEST(CheckStatus, LongBodiesAreCut) {
  const Status status = check_status(get_request(), response_with(500, std::string(1000, 'x')));
  const std::string& message = status.error().message();
  EXPECT_TRUE(message.ends_with(std::string(200, 'x') + "...")) << message;
  EXPECT_LT(message.size(), 300U);
}

TEST(ParseRetryAfter, SecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("3"), 3000ms);
  EXPECT_EQ(parse_retry_after(" 120 "), 120000ms);
  EXPECT_EQ(parse_retry_after("0"), 0ms);
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // 1994-11-06 08:49:37Z
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), 10000ms);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now), 10000ms);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:47 1994", now), 10000ms);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0ms);  // in the past
  EXPECT_EQ(parse_retry_after("Wed, 01 Jan 2031 00:00:00 GMT",
                              std::chrono::system_clock::from_time_t(1924992000)),
            0ms);
  EXPECT_EQ(parse_retry_after("Thu, 02 Jan 2031 00:00:00 GMT",
                              std::chrono::system_clock::from_time_t(1924992000)),
            24h);
}

TEST(ParseRetryAfter, RejectsWhatIsNotADelay) {
  for (const char* text : {"", "soon", "-5", "1.5", "Sun, 06 Foo 1994 08:49:37 GMT",
                           "Sun, 06 Nov 1994 08:49:37", "99999999999999999999"}) {
    EXPECT_EQ(parse_retry_after(text), std::nullopt) << text;
  }
}

TEST(ProxySettings, ChoosesByScheme) {
  ProxySettings settings;
  settings.http_proxy = "http://plain:3128";
  settings.https_proxy = "http://secure:3128";
  EXPECT_EQ(settings.proxy_for("http", "api.example.com"), "http://plain:3128");
  EXPECT_EQ(settings.proxy_for("https", "api.example.com"), "http://secure:3128");
  settings.https_proxy.clear();
  EXPECT_EQ(settings.proxy_for("https", "api.example.com"), "");
}

TEST(ProxySettings, NoProxyMatchesHostsDomainsAndIps) {
  ProxySettings settings;
  settings.https_proxy = "http://proxy:3128";
  settings.no_proxy = " internal.example.com, .corp.example ,10.0.0.1,[::1],svc:8443";
  auto direct = [&](const char* host) { return settings.proxy_for("https", host).empty(); };
  EXPECT_TRUE(direct("internal.example.com"));
  EXPECT_TRUE(direct("API.Internal.Example.com"));  // subdomain, any case
  EXPECT_TRUE(direct("corp.example"));
  EXPECT_TRUE(direct("db.corp.example"));
  EXPECT_TRUE(direct("10.0.0.1"));
  EXPECT_TRUE(direct("::1"));
  EXPECT_TRUE(direct("svc"));
  EXPECT_FALSE(direct("example.com"));
  EXPECT_FALSE(direct("notinternal.example.com"));
  EXPECT_FALSE(direct("110.0.0.1"));
  EXPECT_FALSE(direct("0.0.1"));

  settings.no_proxy = "*";
  EXPECT_TRUE(direct("anything.example"));
}

TEST(ProxySettings, FromEnvironmentPrefersLowerCase) {
  setenv("HTTP_PROXY", "http://upper:1", 1);
  setenv("http_proxy", "http://lower:1", 1);
  setenv("HTTPS_PROXY", "http://upper:2", 1);
  unsetenv("https_proxy");
  setenv("NO_PROXY", "localhost", 1);
  unsetenv("no_proxy");
  const auto settings = ProxySettings::from_environment();
  EXPECT_EQ(settings.http_proxy, "http://lower:1");
  EXPECT_EQ(settings.https_proxy, "http://upper:2");
  EXPECT_EQ(settings.no_proxy, "localhost");
}

TEST(ContentDecoding, GzipMembersAndLimits) {
  EXPECT_TRUE(is_decodable_encoding("GZIP"));
  EXPECT_TRUE(is_decodable_encoding(" deflate"));
  EXPECT_FALSE(is_decodable_encoding("br"));
  const std::string two = client_test::compress("hello ", 31) + client_test::compress("world", 31);
  auto decoded = decode_content("gzip", two, 100);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(*decoded, "hello world");

  auto too_big = decode_content("gzip", two, 10);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().message(),
            "decoded response body exceeds 10 bytes (max_response_bytes)");

  auto truncated = decode_content("gzip", two.substr(0, 12), 100);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().kind(), ErrorKind::kPermanent);
}

}  // namespace
}  // namespace weft::net

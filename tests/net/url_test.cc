#include "net/url.h"

#include <gtest/gtest.h>

namespace weft::net {
namespace {

TEST(UrlTest, ParsesSchemeHostPortAndTarget) {
  auto url = parse_url("HTTPS://API.Example.com:8443/v1/customers?limit=10#frag");
  ASSERT_TRUE(url.ok()) << url.error().message();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "api.example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/v1/customers?limit=10");
  EXPECT_EQ(url->host_header(), "api.example.com:8443");
  EXPECT_EQ(url->to_string(), "https://api.example.com:8443/v1/customers?limit=10");
}

TEST(UrlTest, DefaultsPortAndPathAndKeepsUserinfoApart) {
  auto url = parse_url("http://user:pw@example.com?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->userinfo, "user:pw");
  EXPECT_EQ(url->target, "/?x=1");
  EXPECT_EQ(url->host_header(), "example.com");
  EXPECT_EQ(url->to_string(), "http://example.com/?x=1");
}

TEST(UrlTest, ParsesBracketedIpv6) {
  auto url = parse_url("http://[::1]:9000/a");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->authority(), "[::1]:9000");
}

TEST(UrlTest, RejectsWhatIsNotAnAbsoluteHttpUrlWithoutLeakingSecrets) {
  EXPECT_FALSE(parse_url("/relative").ok());
  EXPECT_FALSE(parse_url("ftp://host/x").ok());
  EXPECT_FALSE(parse_url("http:///nohost").ok());
  auto bad = parse_url("http://u:hunter2@host:99999/x?token=abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("invalid port"), std::string::npos);
  EXPECT_EQ(bad.error().message().find("hunter2"), std::string::npos);
  EXPECT_EQ(bad.error().message().find("abc"), std::string::npos);
}

TEST(UrlTest, ResolvesReferencesAgainstABase) {
  auto base = *parse_url("https://api.example.com/v1/items?page=1");
  EXPECT_EQ(resolve_url(base, "/v1/items?page=2")->to_string(),
            "https://api.example.com/v1/items?page=2");
  EXPECT_EQ(resolve_url(base, "?page=3")->to_string(), "https://api.example.com/v1/items?page=3");
  EXPECT_EQ(resolve_url(base, "other?x")->to_string(), "https://api.example.com/v1/other?x");
  EXPECT_EQ(resolve_url(base, "//cdn.example.com/a")->to_string(), "https://cdn.example.com/a");
  EXPECT_EQ(resolve_url(base, "http://other:81/z")->to_string(), "http://other:81/z");
}

TEST(UrlTest, PercentEncodesAllButUnreserved) {
  EXPECT_EQ(percent_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
  EXPECT_EQ(percent_encode("created[gte]"), "created%5Bgte%5D");
}

TEST(UrlTest, WithQueryAppendsAndReplacesSameNamedParameters) {
  EXPECT_EQ(with_query("/items", {{"limit", "100"}, {"q", "a b"}}), "/items?limit=100&q=a%20b");
  EXPECT_EQ(with_query("/items?page=2&limit=5", {{"limit", "100"}}), "/items?page=2&limit=100");
  EXPECT_EQ(with_query("/items?page=2", {}), "/items?page=2");
  EXPECT_EQ(with_query("/items?created%5Bgte%5D=1", {{"created[gte]", "7"}}),
            "/items?created%5Bgte%5D=7");
}

TEST(UrlTest, RedactsCredentialsInQueryAndUserinfo) {
  EXPECT_EQ(redact_url("https://u:pw@h/x?api_key=s3cret&limit=5&access_token=t"),
            "https://h/x?api_key=***&limit=5&access_token=***");
  EXPECT_EQ(redact_url("https://h/x?custom=abc&page=2", {"custom"}), "https://h/x?custom=***&page=2");
  EXPECT_EQ(redact_url("https://h/x"), "https://h/x");
}

}  // namespace
}  // namespace weft::net

#include "webhook/signature.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace weft::webhook {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Published and hand-computed vectors. The hand-computed ones were made with OpenSSL's command
// line, independently of this code:
//   printf '%s' '1700000000.{"id":"evt_1","type":"charge.succeeded"}' |
//     openssl dgst -sha256 -hmac whsec_test_secret
//   printf '%s' '{"id":1,"topic":"orders/create"}' |
//     openssl dgst -sha256 -hmac shpss_test_secret -binary | base64
//   printf '%s' hello | openssl dgst -sha1 -hmac key1    (and -sha512)
//   printf '%s' 1700000000.hello | openssl dgst -sha512 -hmac key1 -binary | base64 -w0
constexpr char kGithubSecret[] = "It's a Secret to Everybody";
constexpr char kGithubBody[] = "Hello, World!";
constexpr char kGithubMac[] = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

constexpr char kSlackSecret[] = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr std::int64_t kSlackTs = 1531420618;
constexpr char kSlackBody[] =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
constexpr char kSlackSignature[] =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

constexpr char kSwSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kSwId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kSwTs = 1614265330;
constexpr char kSwBody[] = R"({"test": 2432232314})";
constexpr char kSwSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

constexpr char kStripeSecret[] = "whsec_test_secret";
constexpr std::int64_t kStripeTs = 1700000000;
constexpr char kStripeBody[] = R"({"id":"evt_1","type":"charge.succeeded"})";
constexpr char kStripeMac[] = "c0475716eb2200f1fe97fcf35a3c05d1fd4f8ba9a07a596730c8d18bb87c0672";

constexpr char kShopifySecret[] = "shpss_test_secret";
constexpr char kShopifyBody[] = R"({"id":1,"topic":"orders/create"})";
constexpr char kShopifyMac[] = "k72tceQzwLrcNoh8q2ZaNlbbj/oVrcHNV4qHTP1iWNs=";

constexpr char kHmacSha1Hello[] = "94ad18d14e29f4471114ef4661bb31d4014aa22d";
constexpr char kHmacSha512Hello[] =
    "3112a5d9db8f57209e8f90ff481f5223ae3d136ae71da3f34a04c74d2a930425b3a4c8cc9de52e809749e5ed76e96d"
    "7031864ee4bc46692a20bc9f33d95275b1";
constexpr char kHmacSha512TsHelloB64[] =
    "L9YmtR0CZPgiDK4PyUZdLtd/1LJ5RCPGoeAwCiOS528jn7b77FO4nfKzWQQ/e3eqF8rPg+SQqiWHbfq1+sF9IQ==";

constexpr Scheme kSigningSchemes[] = {Scheme::kStripe, Scheme::kGithub,           Scheme::kShopify,
                                      Scheme::kSlack,  Scheme::kStandardWebhooks, Scheme::kHmac};

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point{std::chrono::seconds{unix_seconds}};
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// A case-insensitive lookup over `headers`, like the HTTP layer's; `headers` must outlive it.
HeaderLookup lookup(const Headers& headers) {
  return [&headers](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [key, value] : headers) {
      if (iequals(key, name)) return std::string_view(value);
    }
    return std::nullopt;
  };
}

Verdict check(const SignatureConfig& config, const Headers& headers, std::string_view body,
              std::int64_t now) {
  return verify(config, lookup(headers), body, at(now));
}

std::string reason_of(const SignatureConfig& config, const Headers& headers, std::string_view body,
                      std::int64_t now) {
  return check(config, headers, body, now).reason;
}

SignatureConfig config_for(Scheme scheme, std::vector<std::string> secrets) {
  SignatureConfig config;
  config.scheme = scheme;
  config.secrets = std::move(secrets);
  return config;
}

// The generic scheme as a user might configure it: sha512, base64, a prefix, a timestamp.
SignatureConfig timestamped_hmac(std::vector<std::string> secrets) {
  return {.scheme = Scheme::kHmac,
          .secrets = std::move(secrets),
          .header = "X-Signature",
          .digest = Digest::kSha512,
          .encoding = Encoding::kBase64,
          .prefix = "sha512=",
          .timestamp_header = "X-Timestamp",
          .payload_template = "{timestamp}.{body}"};
}

Headers without(Headers headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  return headers;
}

Headers with(Headers headers, std::string_view name, std::string value) {
  headers = without(std::move(headers), name);
  headers.emplace_back(std::string(name), std::move(value));
  return headers;
}

TEST(SignatureNamesTest, ParseEveryNameAndRejectOthers) {
  EXPECT_EQ(parse_scheme("none"), Scheme::kNone);
  for (const Scheme s : kSigningSchemes) EXPECT_EQ(parse_scheme(to_string(s)), s) << to_string(s);
  EXPECT_STREQ(to_string(Scheme::kStandardWebhooks), "standard_webhooks");
  EXPECT_EQ(parse_scheme("Stripe"), std::nullopt);
  EXPECT_EQ(parse_scheme(""), std::nullopt);
  EXPECT_EQ(parse_digest("sha1"), Digest::kSha1);
  EXPECT_EQ(parse_digest("sha256"), Digest::kSha256);
  EXPECT_EQ(parse_digest("sha512"), Digest::kSha512);
  EXPECT_EQ(parse_digest("md5"), std::nullopt);
  EXPECT_EQ(parse_encoding("hex"), Encoding::kHex);
  EXPECT_EQ(parse_encoding("base64"), Encoding::kBase64);
  EXPECT_EQ(parse_encoding("base64url"), std::nullopt);
}

TEST(SignatureNoneTest, AlwaysPasses) {
  EXPECT_EQ(reason_of(SignatureConfig{}, {}, "anything", 0), "ok");
  EXPECT_TRUE(sign(SignatureConfig{}, "anything", 0).empty());
}

TEST(GithubSignatureTest, PublishedVector) {
  const auto config = config_for(Scheme::kGithub, {kGithubSecret});
  const Headers headers = {{"x-hub-signature-256", std::string("sha256=") + kGithubMac}};
  const Verdict v = check(config, headers, kGithubBody, 0);
  EXPECT_TRUE(v.ok) << v.detail;
  EXPECT_EQ(v.reason, "ok");
  EXPECT_EQ(v.timestamp, std::nullopt);
  EXPECT_EQ(sign(config, kGithubBody, 0),
            (Headers{{"X-Hub-Signature-256", std::string("sha256=") + kGithubMac}}));
  // Uppercase hex and surrounding whitespace are accepted.
  std::string mac = kGithubMac;
  std::transform(mac.begin(), mac.end(), mac.begin(), [](char c) { return std::toupper(c); });
  EXPECT_TRUE(
      check(config, {{"X-Hub-Signature-256", " \tsha256=" + mac + " "}}, kGithubBody, 0).ok);
}

TEST(GithubSignatureTest, WrongSecretAndTamperedBodyMismatch) {
  const Headers headers = {{"X-Hub-Signature-256", std::string("sha256=") + kGithubMac}};
  const Verdict wrong = check(config_for(Scheme::kGithub, {"not it"}), headers, kGithubBody, 0);
  EXPECT_EQ(wrong.reason, "mismatch");
  EXPECT_EQ(wrong.detail,
            "the X-Hub-Signature-256 signature does not match the configured secret (wrong "
            "secret, or a body changed on the way?)");
  const Verdict tampered =
      check(config_for(Scheme::kGithub, {kGithubSecret}), headers, "Hello, World?", 0);
  EXPECT_EQ(tampered.reason, "mismatch");
  // The detail is for logs: never the secret, never the MAC we expected.
  EXPECT_EQ(tampered.detail.find(kGithubSecret), std::string::npos);
  EXPECT_EQ(tampered.detail.find("757107"), std::string::npos);
}

TEST(GithubSignatureTest, MissingAndMalformedHeaders) {
  const auto config = config_for(Scheme::kGithub, {kGithubSecret});
  const Verdict none = check(config, {{"X-Hub-Signature", "sha1=abcd"}}, kGithubBody, 0);
  EXPECT_EQ(none.reason, "missing_header");
  EXPECT_EQ(none.detail, "the X-Hub-Signature-256 header is missing");
  EXPECT_EQ(verify(config, HeaderLookup{}, kGithubBody, at(0)).reason, "missing_header");

  const auto reason_for = [&](std::string value) {
    return reason_of(config, {{"X-Hub-Signature-256", std::move(value)}}, kGithubBody, 0);
  };
  EXPECT_EQ(reason_for(kGithubMac), "malformed_header");  // no "sha256=" prefix
  EXPECT_EQ(reason_for(std::string("sha1=") + kGithubMac), "malformed_header");
  EXPECT_EQ(reason_for("sha256="), "malformed_header");
  EXPECT_EQ(reason_for("sha256=xyz0"), "malformed_header");
  EXPECT_EQ(reason_for(std::string("sha256=") + kGithubMac + "0"), "malformed_header");  // odd
  // Valid hex of the wrong length is a mismatch, not a crash or a prefix comparison.
  EXPECT_EQ(reason_for(std::string("sha256=") + std::string(kGithubMac).substr(0, 62)), "mismatch");
  EXPECT_EQ(reason_for(std::string("sha256=") + kGithubMac + "00"), "mismatch");
}

Headers slack_headers() {
  return {{"X-Slack-Request-Timestamp", std::to_string(kSlackTs)},
          {"X-Slack-Signature", kSlackSignature}};
}

TEST(SlackSignatureTest, PublishedVector) {
  const auto config = config_for(Scheme::kSlack, {kSlackSecret});
  const Headers headers = slack_headers();
  const Verdict v = check(config, headers, kSlackBody, kSlackTs + 10);
  EXPECT_TRUE(v.ok) << v.detail;
  EXPECT_EQ(v.timestamp, kSlackTs);
  EXPECT_EQ(sign(config, kSlackBody, kSlackTs), headers);
  EXPECT_EQ(reason_of(config, headers, std::string(kSlackBody) + "&", kSlackTs), "mismatch");
  EXPECT_EQ(reason_of(config_for(Scheme::kSlack, {"8f742231b10e8888abcd99yyyzzz85a6"}), headers,
                      kSlackBody, kSlackTs),
            "mismatch");
}

TEST(SlackSignatureTest, TimestampWindowIsInclusiveBothWays) {
  const auto config = config_for(Scheme::kSlack, {kSlackSecret});
  const Headers headers = slack_headers();
  EXPECT_TRUE(check(config, headers, kSlackBody, kSlackTs + 300).ok);
  EXPECT_TRUE(check(config, headers, kSlackBody, kSlackTs - 300).ok);
  const Verdict stale = check(config, headers, kSlackBody, kSlackTs + 301);
  EXPECT_EQ(stale.reason, "stale_timestamp");
  EXPECT_EQ(stale.timestamp, kSlackTs);
  EXPECT_EQ(stale.detail,
            "the X-Slack-Request-Timestamp timestamp is 301 s old, beyond the 300 s tolerance (a "
            "replayed request, or a clock out of sync?)");
  const Verdict future = check(config, headers, kSlackBody, kSlackTs - 301);
  EXPECT_EQ(future.reason, "future_timestamp");
  EXPECT_EQ(future.timestamp, kSlackTs);
  auto strict = config;  // a smaller tolerance is honoured
  strict.tolerance = std::chrono::seconds{5};
  EXPECT_EQ(reason_of(strict, headers, kSlackBody, kSlackTs + 6), "stale_timestamp");
  EXPECT_TRUE(check(strict, headers, kSlackBody, kSlackTs + 5).ok);
}

TEST(SlackSignatureTest, MissingAndMalformedHeaders) {
  const auto config = config_for(Scheme::kSlack, {kSlackSecret});
  const Headers good = slack_headers();
  const Verdict no_sig = check(config, without(good, "X-Slack-Signature"), kSlackBody, kSlackTs);
  EXPECT_EQ(no_sig.reason, "missing_header");
  EXPECT_EQ(no_sig.detail, "the X-Slack-Signature header is missing");
  const Verdict no_ts =
      check(config, without(good, "X-Slack-Request-Timestamp"), kSlackBody, kSlackTs);
  EXPECT_EQ(no_ts.reason, "missing_header");
  EXPECT_EQ(no_ts.detail, "the X-Slack-Request-Timestamp header is missing");
  for (const char* ts :
       {"abc", "1531420618.5", "-1531420618", "+1531420618", "1e9", "", "99999999999999999999"}) {
    const Verdict v =
        check(config, with(good, "X-Slack-Request-Timestamp", ts), kSlackBody, kSlackTs);
    EXPECT_EQ(v.reason, "malformed_header") << ts;
    EXPECT_EQ(v.timestamp, std::nullopt) << ts;
  }
  const std::string mac = std::string(kSlackSignature).substr(3);
  EXPECT_EQ(reason_of(config, with(good, "X-Slack-Signature", mac), kSlackBody, kSlackTs),
            "malformed_header");
  EXPECT_EQ(reason_of(config, with(good, "X-Slack-Signature", "v0=nothex"), kSlackBody, kSlackTs),
            "malformed_header");
}

Headers standard_headers(std::string signature = kSwSignature) {
  return {{"webhook-id", kSwId},
          {"webhook-timestamp", std::to_string(kSwTs)},
          {"webhook-signature", std::move(signature)}};
}

TEST(StandardWebhooksSignatureTest, PublishedVector) {
  const auto config = config_for(Scheme::kStandardWebhooks, {kSwSecret});
  const Verdict v = check(config, standard_headers(), kSwBody, kSwTs);
  EXPECT_TRUE(v.ok) << v.detail;
  EXPECT_EQ(v.timestamp, kSwTs);
  EXPECT_EQ(sign(config, kSwBody, kSwTs, kSwId), standard_headers());
  // The same key written as bare base64 works too.
  const std::string bare = std::string(kSwSecret).substr(6);
  EXPECT_TRUE(
      check(config_for(Scheme::kStandardWebhooks, {bare}), standard_headers(), kSwBody, kSwTs).ok);
}

TEST(StandardWebhooksSignatureTest, AnyV1AmongSeveralMatchesAndOtherVersionsAreIgnored) {
  const auto config = config_for(Scheme::kStandardWebhooks, {kSwSecret});
  const std::string wrong = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=";
  const std::string several = "v1a,bm90IGFzeW1tZXRyaWM= " + wrong + "   " + kSwSignature;
  EXPECT_TRUE(check(config, standard_headers(several), kSwBody, kSwTs).ok);
  EXPECT_EQ(reason_of(config, standard_headers(wrong + " v1,!!notbase64"), kSwBody, kSwTs),
            "mismatch");
  // The right MAC under another version label does not count.
  const std::string v2 = "v2," + std::string(kSwSignature).substr(3);
  EXPECT_EQ(reason_of(config, standard_headers(v2), kSwBody, kSwTs), "malformed_header");
  EXPECT_EQ(reason_of(config, standard_headers("v1,!!!"), kSwBody, kSwTs), "malformed_header");
  EXPECT_EQ(reason_of(config, standard_headers("v1,"), kSwBody, kSwTs), "malformed_header");
}

TEST(StandardWebhooksSignatureTest, IdTimestampAndBodyAreAllSigned) {
  const auto config = config_for(Scheme::kStandardWebhooks, {kSwSecret});
  for (const Headers& changed : {with(standard_headers(), "webhook-id", "msg_other"),
                                 with(standard_headers(), "webhook-timestamp", "1614265331")}) {
    EXPECT_EQ(reason_of(config, changed, kSwBody, kSwTs), "mismatch");
  }
  EXPECT_EQ(reason_of(config, standard_headers(), R"({"test": 2432232315})", kSwTs), "mismatch");
  EXPECT_EQ(reason_of(config_for(Scheme::kStandardWebhooks, {"whsec_dGhlIG90aGVyIGtleQ=="}),
                      standard_headers(), kSwBody, kSwTs),
            "mismatch");
}

TEST(StandardWebhooksSignatureTest, StaleFutureMissingAndMalformed) {
  const auto config = config_for(Scheme::kStandardWebhooks, {kSwSecret});
  EXPECT_EQ(reason_of(config, standard_headers(), kSwBody, kSwTs + 301), "stale_timestamp");
  EXPECT_EQ(reason_of(config, standard_headers(), kSwBody, kSwTs - 301), "future_timestamp");
  EXPECT_TRUE(check(config, standard_headers(), kSwBody, kSwTs - 300).ok);
  for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    const Verdict v = check(config, without(standard_headers(), name), kSwBody, kSwTs);
    EXPECT_EQ(v.reason, "missing_header") << name;
    EXPECT_EQ(v.detail, "the " + std::string(name) + " header is missing");
  }
  for (const Headers& bad : {with(standard_headers(), "webhook-timestamp", "soon"),
                             with(standard_headers(), "webhook-id", "  ")}) {
    EXPECT_EQ(reason_of(config, bad, kSwBody, kSwTs), "malformed_header");
  }
}

std::string stripe_header(std::int64_t t, const std::vector<std::string>& v1s) {
  std::string out = "t=" + std::to_string(t);
  for (const auto& v1 : v1s) out += ",v1=" + v1;
  return out;
}

TEST(StripeSignatureTest, HandComputedValueAndSign) {
  const auto config = config_for(Scheme::kStripe, {kStripeSecret});
  const Headers headers = {{"Stripe-Signature", stripe_header(kStripeTs, {kStripeMac})}};
  const Verdict v = check(config, headers, kStripeBody, kStripeTs);
  EXPECT_TRUE(v.ok) << v.detail;
  EXPECT_EQ(v.timestamp, kStripeTs);
  // The key is the whole "whsec_..." string; sign() must agree with openssl byte for byte.
  EXPECT_EQ(sign(config, kStripeBody, kStripeTs), headers);
}

TEST(StripeSignatureTest, AnyV1MatchesAndV0IsIgnored) {
  const auto config = config_for(Scheme::kStripe, {kStripeSecret});
  const std::string wrong(64, 'a');
  const std::string value = "t=" + std::to_string(kStripeTs) + ", v1=" + wrong +
                            " , v1=" + kStripeMac + ",v0=" + wrong + ",extra";
  EXPECT_TRUE(check(config, {{"Stripe-Signature", value}}, kStripeBody, kStripeTs).ok);
  EXPECT_EQ(reason_of(config, {{"Stripe-Signature", stripe_header(kStripeTs, {wrong, wrong})}},
                      kStripeBody, kStripeTs),
            "mismatch");
  const std::string v0_only = "t=" + std::to_string(kStripeTs) + ",v0=" + kStripeMac;
  EXPECT_EQ(reason_of(config, {{"Stripe-Signature", v0_only}}, kStripeBody, kStripeTs),
            "malformed_header");
}

TEST(StripeSignatureTest, TimestampIsSignedAndBounded) {
  const auto config = config_for(Scheme::kStripe, {kStripeSecret});
  const Headers headers = {{"Stripe-Signature", stripe_header(kStripeTs, {kStripeMac})}};
  EXPECT_TRUE(check(config, headers, kStripeBody, kStripeTs + 300).ok);
  const Verdict stale = check(config, headers, kStripeBody, kStripeTs + 301);
  EXPECT_EQ(stale.reason, "stale_timestamp");
  EXPECT_EQ(stale.timestamp, kStripeTs);
  EXPECT_EQ(reason_of(config, headers, kStripeBody, kStripeTs - 301), "future_timestamp");
  // A replay that refreshes t without re-signing.
  EXPECT_EQ(reason_of(config, {{"Stripe-Signature", stripe_header(kStripeTs + 1, {kStripeMac})}},
                      kStripeBody, kStripeTs),
            "mismatch");
  EXPECT_EQ(reason_of(config, headers, std::string(kStripeBody) + " ", kStripeTs), "mismatch");
  // Timestamps in milliseconds are far in the future, and the detail says why.
  const Verdict millis = check(config, {{"Stripe-Signature", stripe_header(kStripeTs * 1000, {})}},
                               kStripeBody, kStripeTs);
  EXPECT_EQ(millis.reason, "future_timestamp");
  EXPECT_NE(millis.detail.find("milliseconds"), std::string::npos) << millis.detail;
}

TEST(StripeSignatureTest, MissingAndMalformedHeaders) {
  const auto config = config_for(Scheme::kStripe, {kStripeSecret});
  const auto verdict = [&](std::string value) {
    return check(config, {{"Stripe-Signature", std::move(value)}}, kStripeBody, kStripeTs);
  };
  EXPECT_EQ(reason_of(config, {}, kStripeBody, kStripeTs), "missing_header");
  const Verdict no_t = verdict(std::string("v1=") + kStripeMac);
  EXPECT_EQ(no_t.reason, "malformed_header");
  EXPECT_EQ(no_t.detail, "the Stripe-Signature header has no t= timestamp");
  EXPECT_EQ(verdict("t=later,v1=" + std::string(kStripeMac)).reason, "malformed_header");
  EXPECT_EQ(verdict("t=1700000000,t=1700000000,v1=" + std::string(kStripeMac)).reason,
            "malformed_header");
  const Verdict no_v1 = verdict("t=1700000000");
  EXPECT_EQ(no_v1.reason, "malformed_header");
  EXPECT_EQ(no_v1.detail, "the Stripe-Signature header has no v1= signature");
  EXPECT_EQ(no_v1.timestamp, kStripeTs);
  EXPECT_EQ(verdict("t=1700000000,v1=zz").reason, "malformed_header");
  EXPECT_EQ(verdict("").reason, "malformed_header");
}

TEST(ShopifySignatureTest, HandComputedValueAndSign) {
  const auto config = config_for(Scheme::kShopify, {kShopifySecret});
  const Headers headers = {{"X-Shopify-Hmac-Sha256", kShopifyMac}};
  EXPECT_TRUE(check(config, headers, kShopifyBody, 0).ok);
  EXPECT_EQ(sign(config, kShopifyBody, 0), headers);
  EXPECT_EQ(reason_of(config, headers, R"({"id":2,"topic":"orders/create"})", 0), "mismatch");
  EXPECT_EQ(reason_of(config_for(Scheme::kShopify, {"shpss_other"}), headers, kShopifyBody, 0),
            "mismatch");
  EXPECT_EQ(reason_of(config, {}, kShopifyBody, 0), "missing_header");
}

TEST(ShopifySignatureTest, Base64IsDecodedStrictly) {
  const auto config = config_for(Scheme::kShopify, {kShopifySecret});
  const std::string mac = kShopifyMac;
  const auto reason_for = [&](std::string value) {
    return reason_of(config, {{"X-Shopify-Hmac-Sha256", std::move(value)}}, kShopifyBody, 0);
  };
  EXPECT_EQ(reason_for(mac.substr(0, 43)), "ok");  // padding left off
  EXPECT_EQ(reason_for(mac + "="), "malformed_header");
  EXPECT_EQ(reason_for("=" + mac.substr(1)), "malformed_header");
  EXPECT_EQ(reason_for(mac.substr(0, 4) + "=" + mac.substr(5)), "malformed_header");
  EXPECT_EQ(reason_for("k72tceQz wLrcNoh8q2ZaNlbbj/oVrcHNV4qHTP1iWNs="), "malformed_header");
  EXPECT_EQ(reason_for("k72tceQzwLrcNoh8q2ZaNlbbj_oVrcHNV4qHTP1iWNs="), "malformed_header");
  EXPECT_EQ(reason_for("k"), "malformed_header");
  // Decodes, but to fewer bytes than a SHA-256 MAC.
  EXPECT_EQ(reason_for(mac.substr(0, 40)), "mismatch");
}

TEST(HmacSignatureTest, Sha1HexOverTheBody) {
  auto config = config_for(Scheme::kHmac, {"key1"});
  config.header = "X-Signature";
  config.digest = Digest::kSha1;
  EXPECT_TRUE(check(config, {{"x-signature", kHmacSha1Hello}}, "hello", 0).ok);
  std::string upper = kHmacSha1Hello;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return std::toupper(c); });
  EXPECT_TRUE(check(config, {{"X-Signature", upper}}, "hello", 0).ok);
  EXPECT_EQ(reason_of(config, {{"X-Signature", kHmacSha1Hello}}, "hellO", 0), "mismatch");
  EXPECT_EQ(sign(config, "hello", 0), (Headers{{"X-Signature", kHmacSha1Hello}}));
  // A SHA-1 MAC offered where SHA-512 is configured has the wrong length.
  config.digest = Digest::kSha512;
  EXPECT_EQ(reason_of(config, {{"X-Signature", kHmacSha1Hello}}, "hello", 0), "mismatch");
  EXPECT_TRUE(check(config, {{"X-Signature", kHmacSha512Hello}}, "hello", 0).ok);
}

TEST(HmacSignatureTest, Sha512Base64WithPrefixAndTimestampTemplate) {
  const auto config = timestamped_hmac({"key1"});
  const Headers headers = {{"X-Timestamp", "1700000000"},
                           {"X-Signature", std::string("sha512=") + kHmacSha512TsHelloB64}};
  const Verdict v = check(config, headers, "hello", 1700000000);
  EXPECT_TRUE(v.ok) << v.detail;
  EXPECT_EQ(v.timestamp, 1700000000);
  EXPECT_EQ(sign(config, "hello", 1700000000), headers);
  EXPECT_TRUE(check(config,
                    with(headers, "X-Signature", std::string("SHA512=") + kHmacSha512TsHelloB64),
                    "hello", 1700000000)
                  .ok);

  EXPECT_EQ(reason_of(config, headers, "hello", 1700000301), "stale_timestamp");
  EXPECT_EQ(reason_of(config, headers, "hello", 1699999699), "future_timestamp");
  EXPECT_EQ(reason_of(config, with(headers, "X-Timestamp", "1700000001"), "hello", 1700000000),
            "mismatch");
  const Verdict no_ts = check(config, without(headers, "X-Timestamp"), "hello", 1700000000);
  EXPECT_EQ(no_ts.reason, "missing_header");
  EXPECT_EQ(no_ts.detail, "the X-Timestamp header is missing");
  const Verdict no_prefix =
      check(config, with(headers, "X-Signature", kHmacSha512TsHelloB64), "hello", 1700000000);
  EXPECT_EQ(no_prefix.reason, "malformed_header");
  EXPECT_EQ(no_prefix.detail, "the X-Signature header does not start with 'sha512='");
  EXPECT_EQ(reason_of(config, without(headers, "X-Signature"), "hello", 1700000000),
            "missing_header");
}

TEST(HmacSignatureTest, LiteralTextInTheTemplateIsSigned) {
  auto config = timestamped_hmac({"key1"});
  config.payload_template = "v1:{timestamp}:{body}";
  const auto headers = sign(config, "hello", 1700000000);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_TRUE(check(config, headers, "hello", 1700000000).ok);
  // Not the same MAC as "{timestamp}.{body}".
  EXPECT_NE(headers[1].second, std::string("sha512=") + kHmacSha512TsHelloB64);
  config.payload_template = "v1:{timestamp}.{body}";
  EXPECT_EQ(reason_of(config, headers, "hello", 1700000000), "mismatch");
}

TEST(SignatureRotationTest, OldAndNewSecretsVerifyAndARemovedOneFails) {
  for (const Scheme scheme : kSigningSchemes) {
    SCOPED_TRACE(to_string(scheme));
    const bool sw = scheme == Scheme::kStandardWebhooks;  // its secrets are base64 keys
    const std::string old_secret = sw ? "whsec_b2xkIG9sZCBvbGQ=" : "whsec_old";
    const std::string new_secret = sw ? "whsec_bmV3IG5ldyBuZXc=" : "whsec_new";
    auto both = timestamped_hmac({old_secret, new_secret});
    both.scheme = scheme;
    auto new_only = both;
    new_only.secrets = {new_secret};
    auto old_only = both;
    old_only.secrets = {old_secret};
    const auto signed_old = sign(old_only, "body", 1000, "msg_1");
    const auto signed_new = sign(new_only, "body", 1000, "msg_1");
    ASSERT_FALSE(signed_old.empty());
    EXPECT_NE(signed_old, signed_new);
    EXPECT_TRUE(check(both, signed_old, "body", 1000).ok);
    EXPECT_TRUE(check(both, signed_new, "body", 1000).ok);
    EXPECT_EQ(reason_of(new_only, signed_old, "body", 1000), "mismatch");  // removed
    // A mismatch against two secrets says so, and names neither.
    const Verdict neither = check(both, signed_new, "bodY", 1000);
    EXPECT_EQ(neither.reason, "mismatch");
    EXPECT_NE(neither.detail.find("any of the 2 configured secrets"), std::string::npos);
    EXPECT_EQ(neither.detail.find("whsec"), std::string::npos) << neither.detail;
  }
}

TEST(SignatureRoundTripTest, SignThenVerifyForEveryScheme) {
  for (const Scheme scheme : kSigningSchemes) {
    SCOPED_TRACE(to_string(scheme));
    auto config = timestamped_hmac({"whsec_c2VjcmV0IGtleSBieXRlcw=="});
    config.scheme = scheme;
    // Bytes that are not text: NUL, high bytes, CR LF.
    const std::string body("\x00\xff{\"a\":1}\r\n", 11);
    const auto headers = sign(config, body, 1234567890, "msg_42");
    ASSERT_FALSE(headers.empty());
    const Verdict v = check(config, headers, body, 1234567890 + 60);
    EXPECT_TRUE(v.ok) << v.reason << ": " << v.detail;
    std::string changed = body;
    changed[0] = '\x01';
    EXPECT_EQ(reason_of(config, headers, changed, 1234567890), "mismatch");
    EXPECT_EQ(reason_of(config, headers, body.substr(0, 10), 1234567890), "mismatch");
  }
}

TEST(SignatureRoundTripTest, NoUsableSecretFailsClosed) {
  auto config = config_for(Scheme::kGithub, {""});
  const Headers headers = {{"X-Hub-Signature-256", std::string("sha256=") + kGithubMac}};
  const Verdict v = check(config, headers, kGithubBody, 0);
  EXPECT_EQ(v.reason, "mismatch");
  EXPECT_EQ(v.detail,
            "no usable github secret is configured, so the X-Hub-Signature-256 signature cannot be "
            "checked");
  EXPECT_TRUE(sign(config, kGithubBody, 0).empty());
  config.secrets.clear();
  EXPECT_EQ(reason_of(config, headers, kGithubBody, 0), "mismatch");
  EXPECT_TRUE(sign(config, kGithubBody, 0).empty());
  EXPECT_TRUE(sign(config_for(Scheme::kStandardWebhooks, {"whsec_!!"}), "b", 0, "id").empty());
}

TEST(SignatureCheckSecretTest, ReportsUnusableSecretsWithoutEchoingThem) {
  EXPECT_EQ(check_secret(Scheme::kStripe, ""), "a stripe secret must not be empty");
  EXPECT_EQ(check_secret(Scheme::kGithub, "s3cret\n"),
            "a github secret must not start or end with whitespace (a trailing newline from a "
            "file or an environment variable?)");
  EXPECT_NE(check_secret(Scheme::kHmac, " s3cret"), std::nullopt);
  const std::string sw_error = "a standard_webhooks secret must be 'whsec_' followed by base64";
  EXPECT_EQ(check_secret(Scheme::kStandardWebhooks, "whsec_not*base64"), sw_error);
  EXPECT_EQ(check_secret(Scheme::kStandardWebhooks, "whsec_"), sw_error);
  EXPECT_EQ(check_secret(Scheme::kStandardWebhooks, "whsec_abcde"), sw_error);  // 5 chars
  EXPECT_EQ(check_secret(Scheme::kStandardWebhooks, kSwSecret), std::nullopt);
  EXPECT_EQ(check_secret(Scheme::kStandardWebhooks, std::string(kSwSecret).substr(6)),
            std::nullopt);
  // Stripe keys are used as they are, so any non-blank text is usable.
  EXPECT_EQ(check_secret(Scheme::kStripe, "whsec_not*base64"), std::nullopt);
  EXPECT_EQ(check_secret(Scheme::kShopify, kShopifySecret), std::nullopt);
  EXPECT_EQ(check_secret(Scheme::kSlack, kSlackSecret), std::nullopt);
  // The messages above are fixed sentences: none can carry the secret it judged.
  const auto blank = check_secret(Scheme::kGithub, "s3cret ");
  ASSERT_TRUE(blank.has_value());
  EXPECT_EQ(blank->find("s3cret"), std::string::npos);
}

TEST(SignatureCheckConfigTest, AcceptsSoundConfigs) {
  EXPECT_EQ(check_config(SignatureConfig{}), std::nullopt);
  EXPECT_EQ(check_config(config_for(Scheme::kStripe, {kStripeSecret})), std::nullopt);
  EXPECT_EQ(check_config(timestamped_hmac({"k"})), std::nullopt);
  auto plain = config_for(Scheme::kHmac, {"k"});
  plain.header = "X-Signature";
  EXPECT_EQ(check_config(plain), std::nullopt);
  plain.payload_template = "{\"sig\": {body}}";  // braces that are no placeholder are literal
  EXPECT_EQ(check_config(plain), std::nullopt);
}

TEST(SignatureCheckConfigTest, NamesTheProblem) {
  EXPECT_EQ(check_config(config_for(Scheme::kNone, {"k"})),
            "secrets are set but the signature scheme is none, so nothing would be verified");
  EXPECT_EQ(check_config(config_for(Scheme::kSlack, {})),
            "the slack signature scheme needs at least one secret");
  auto negative = config_for(Scheme::kStripe, {"k"});
  negative.tolerance = std::chrono::seconds{-1};
  EXPECT_EQ(check_config(negative), "the signature tolerance must not be negative");

  auto config = timestamped_hmac({"k"});
  config.header = "";
  EXPECT_EQ(check_config(config),
            "the hmac signature scheme needs a header (the one carrying the signature, e.g. "
            "X-Signature)");
  config = timestamped_hmac({"k"});
  config.payload_template = "{timestamp}.";
  EXPECT_EQ(check_config(config),
            "the hmac payload_template must contain {body}, or the body would not be signed");
  // verify() fails closed on settings that check_config() rejects.
  const auto headers = sign(config, "hello", 1700000000);
  EXPECT_EQ(check(config, headers, "hello", 1700000000).detail,
            "the hmac signature settings are invalid: " + *check_config(config));
  EXPECT_EQ(reason_of(config, headers, "hello", 1700000000), "mismatch");
  config.payload_template = "{ts}.{body}";
  EXPECT_EQ(check_config(config),
            "the hmac payload_template has an unknown placeholder '{ts}' (placeholders: {body}, "
            "{timestamp})");
  config.payload_template = "{timestamp}.{body}";
  config.timestamp_header = "";
  EXPECT_EQ(check_config(config),
            "the hmac payload_template uses {timestamp} but no timestamp_header is set");
}

}  // namespace
}  // namespace weft::webhook

// The fake's token endpoint over HTTP: each grant, the JWT bearer grant's signature and claims
// checks, sessions (401 without, with a wrong or an expired token; re-auth works), and the
// per-grant counters a sink test reads.
#include <openssl/hmac.h>

#include "fakes/salesforce/test_fixture.h"

namespace weft::fakes::salesforce {
namespace {

class SalesforceOAuthTest : public FakeSalesforceTest {
 protected:
  // Claims Salesforce accepts for the configured app and user, expiring in three minutes.
  json good_claims() const {
    return {{"iss", options_.client_id},
            {"sub", options_.username},
            {"aud", "https://login.salesforce.com"},
            {"exp", epoch_seconds() + 180}};
  }
  test::HttpResponse jwt_grant(const std::string& assertion) {
    return token_request(
        {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion}});
  }
  void expect_refused(const test::HttpResponse& response, const std::string& description_part) {
    EXPECT_EQ(response.status, 400) << response.body;
    const json body = json::parse(response.body, nullptr, false);
    EXPECT_EQ(body.value("error", ""), "invalid_grant") << response.body;
    EXPECT_NE(body.value("error_description", "").find(description_part), std::string::npos)
        << response.body;
  }
  // The token works on a data request.
  void expect_usable(const std::string& token) {
    const auto response =
        request("GET", std::string(kData) + "/jobs/ingest", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(response.status, 200) << response.body;
  }
};

TEST_F(SalesforceOAuthTest, ClientCredentialsGrantReturnsASessionOnTheFakesInstance) {
  const auto response = token_request({{"grant_type", "client_credentials"},
                                       {"client_id", "fake-consumer-key"},
                                       {"client_secret", "fake-consumer-secret"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_EQ(body["instance_url"], api_->base_url());
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["scope"], "api");
  EXPECT_TRUE(body["id"].get<std::string>().starts_with(api_->base_url() + "/id/00D"));
  const std::string issued_at = body["issued_at"];
  EXPECT_NEAR(std::stoll(issued_at) / 1000.0, static_cast<double>(epoch_seconds()), 60);
  // signature = base64(HMAC-SHA256(client secret, id + issued_at)), as Salesforce signs it.
  const std::string message = body["id"].get<std::string>() + issued_at;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), "fake-consumer-secret", 20,
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  EXPECT_EQ(body["signature"], base64_encode(std::string(reinterpret_cast<char*>(mac), length)));
  EXPECT_FALSE(body.contains("expires_in"));
  expect_usable(body["access_token"]);

  expect_refused(token_request({{"grant_type", "client_credentials"},
                                {"client_id", "fake-consumer-key"},
                                {"client_secret", "wrong"}}),
                 "invalid client credentials");
}

TEST_F(SalesforceOAuthTest, PasswordGrantNeedsTheUsersPasswordWithSecurityToken) {
  std::map<std::string, std::string> form = {{"grant_type", "password"},
                                             {"client_id", options_.client_id},
                                             {"client_secret", options_.client_secret},
                                             {"username", options_.username},
                                             {"password", options_.password}};
  const auto response = token_request(form);
  ASSERT_EQ(response.status, 200) << response.body;
  expect_usable(json::parse(response.body)["access_token"]);
  EXPECT_FALSE(json::parse(response.body).contains("scope"));

  form["password"] = "password-without-token";
  expect_refused(token_request(form), "authentication failure");
}

TEST_F(SalesforceOAuthTest, RefreshTokenGrantAcceptsTheOrgsRefreshToken) {
  std::map<std::string, std::string> form = {{"grant_type", "refresh_token"},
                                             {"client_id", options_.client_id},
                                             {"refresh_token", "fake-refresh-token"}};
  const auto response = token_request(form);
  ASSERT_EQ(response.status, 200) << response.body;
  expect_usable(json::parse(response.body)["access_token"]);

  form["refresh_token"] = "revoked";
  expect_refused(token_request(form), "expired access/refresh token");
}

TEST_F(SalesforceOAuthTest, JwtBearerGrantVerifiesTheSignatureWithTheConfiguredKey) {
  const auto key = make_rsa_key();
  const auto other = make_rsa_key();
  ASSERT_TRUE(key && other);
  // Before a key is configured, the grant is refused.
  expect_refused(jwt_grant(sign_jwt(good_claims(), key.get())), "no certificate");
  admin("POST", "config", {{"jwt_public_key_pem", public_pem(key.get())}});

  const auto response = jwt_grant(sign_jwt(good_claims(), key.get()));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_EQ(body["instance_url"], api_->base_url());
  expect_usable(body["access_token"]);

  expect_refused(jwt_grant(sign_jwt(good_claims(), other.get())), "signature");
  json claims = good_claims();
  claims["exp"] = epoch_seconds() - 10;
  expect_refused(jwt_grant(sign_jwt(claims, key.get())), "expired");
  claims = good_claims();
  claims["sub"] = "someone@else.com";
  expect_refused(jwt_grant(sign_jwt(claims, key.get())), "sub");
  claims = good_claims();
  claims["iss"] = "another-app";
  expect_refused(jwt_grant(sign_jwt(claims, key.get())), "iss");
  claims = good_claims();
  claims["aud"] = "https://test.salesforce.com";
  expect_refused(jwt_grant(sign_jwt(claims, key.get())), "aud");
  // A token whose signature was cut off.
  const std::string token = sign_jwt(good_claims(), key.get());
  expect_refused(jwt_grant(token.substr(0, token.rfind('.') + 1)), "signature");
}

TEST_F(SalesforceOAuthTest, OtherGrantsAreUnsupportedAndEveryRequestIsCountedByGrant) {
  const auto response = token_request({{"grant_type", "authorization_code"}, {"code", "x"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body)["error"], "unsupported_grant_type");
  login();
  login();
  token_request({{"grant_type", "password"}});
  const json stats = admin("GET", "stats");
  EXPECT_EQ(stats["token_requests"]["client_credentials"], 2);
  EXPECT_EQ(stats["token_requests"]["password"], 1);
  EXPECT_EQ(stats["token_requests"]["authorization_code"], 1);
  EXPECT_EQ(api_->stats().token_requests.at("client_credentials"), 2u);
}

TEST_F(SalesforceOAuthTest, DataRequestsNeedAValidSessionAndExpiredOnesGet401) {
  const auto expect_invalid_session = [](const test::HttpResponse& response) {
    EXPECT_EQ(response.status, 401) << response.body;
    EXPECT_EQ(json::parse(response.body, nullptr, false),
              json::parse(R"([{"message":"Session expired or invalid",)"
                          R"("errorCode":"INVALID_SESSION_ID","fields":[]}])"));
  };
  const std::string jobs = std::string(kData) + "/jobs/ingest";
  expect_invalid_session(request("GET", jobs));
  expect_invalid_session(request("GET", jobs, {{"Authorization", "Bearer 00Dmadeup!AQ1234"}}));

  const std::string token = login();
  EXPECT_EQ(request("GET", jobs, {{"Authorization", "Bearer " + token}}).status, 200);
  admin("POST", "expire-sessions");
  expect_invalid_session(request("GET", jobs, {{"Authorization", "Bearer " + token}}));
  // Re-authenticating gives a session that works.
  const std::string fresh = login();
  EXPECT_NE(fresh, token);
  EXPECT_EQ(request("GET", jobs, {{"Authorization", "Bearer " + fresh}}).status, 200);
  EXPECT_EQ(api_->stats().unauthorized, 3u);
  EXPECT_EQ(api_->stats().data_requests, 2u);  // 401s are not counted against the org's limit
}

}  // namespace
}  // namespace weft::fakes::salesforce

// salesforce::OAuthClient against the fake Salesforce org (tests/fakes/salesforce) over real
// HTTP: each grant, the JWT bearer assertion (signed with keys made here, verified by the fake),
// refused logins as permanent errors without secrets, one token request for concurrent callers,
// renew(), and retryable failures (nothing listening, 503) from a scripted server.
#include "salesforce/oauth_client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fakes/encoding.h"
#include "fakes/salesforce/fake_salesforce.h"
#include "fakes/salesforce/jwt.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "support/server_test_helpers.h"

namespace weft::salesforce {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using fakes::salesforce::FakeSalesforce;
using fakes::salesforce::FakeSalesforceOptions;
using nlohmann::json;

// Beyond this a call that should have returned counts as hung.
constexpr auto kHang = 20s;
constexpr const char* kJwtGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";

using Key = std::shared_ptr<EVP_PKEY>;

Key make_key(const char* type = "RSA") {
  EVP_PKEY* key = std::string(type) == "RSA"
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return Key(key, EVP_PKEY_free);
}

// What a PEM_write_bio_* call wrote into a memory BIO.
std::string pem_of(const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (write(bio) == 1) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<std::size_t>(size));
  }
  BIO_free(bio);
  return pem;
}
std::string public_pem(const Key& key) {
  return pem_of([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); });
}
// PKCS#8 "PRIVATE KEY", as `openssl genpkey` writes it.
std::string private_pem(const Key& key) {
  return pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}
// "RSA PRIVATE KEY" (PKCS#1), as `openssl genrsa` of OpenSSL 1.x and many guides write it.
std::string traditional_private_pem(const Key& key) {
  return pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey_traditional(bio, key.get(), nullptr, nullptr, 0, nullptr,
                                                nullptr);
  });
}
std::string encrypted_private_pem(const Key& key) {
  static char passphrase[] = "correct horse";
  return pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                    passphrase);
  });
}

// A loopback port nothing listens on (bound, then released).
unsigned short closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

template <typename T>
asio::awaitable<void> store(asio::awaitable<T> op, std::shared_ptr<std::optional<T>> out) {
  out->emplace(co_await std::move(op));
}

// A scripted token endpoint: answers every request with `response` (the request's body replaces
// "{body}" in it, to play a server that echoes what it got).
asio::awaitable<net::HttpResponse> scripted(net::HttpResponse response,
                                            const net::HttpRequest& request) {
  if (const auto at = response.body.find("{body}"); at != std::string::npos) {
    response.body.replace(at, 6, request.body);
  }
  co_return response;
}

// The fake org on a thread of its own; the HTTP client and the OAuth clients on another (as a
// pipeline runs them). Every log line is captured, and none may hold a secret.
class OAuthClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_options_.jwt_public_key_pem = public_pem(key_);
    auto fake = FakeSalesforce::start(server_io_, fake_options_);
    ASSERT_TRUE(fake.ok()) << fake.error().message();
    fake_ = std::move(fake).value();
    server_threads_ = std::make_unique<test::IoThreads>(server_io_, 1);

    net::HttpClientOptions options;
    options.name = "salesforce";
    options.connect_timeout = 5s;
    options.read_timeout = 5s;
    options.total_timeout = 10s;
    options.proxy = {};
    auto http = net::HttpClient::create(io_.get_executor(), std::move(options), nullptr);
    ASSERT_TRUE(http.ok()) << http.error().message();
    http_ = std::move(http).value();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      std::promise<void> done;
      asio::post(io_, [&] {
        clients_.clear();
        http_.reset();
        done.set_value();
      });
      done.get_future().wait();
      work_.reset();
      thread_.join();
    }
    if (scripted_) scripted_->stop();
    if (fake_) fake_->stop();
    if (server_threads_) {
      EXPECT_TRUE(server_threads_->exited_within(5s));
    }
    for (const std::string& line : logs_.lines()) {
      for (const std::string& secret : secrets()) {
        EXPECT_EQ(line.find(secret), std::string::npos) << "a secret in the log: " << line;
      }
    }
  }

  // Settings that the fake accepts for `grant`.
  OAuthSettings settings(Grant grant) const {
    OAuthSettings s;
    s.grant = grant;
    s.login_url = fake_->base_url();
    s.client_id = fake_options_.client_id;
    s.client_secret = fake_options_.client_secret;
    s.username = fake_options_.username;
    s.password = fake_options_.password;
    s.refresh_token = fake_options_.refresh_token;
    s.private_key_pem = private_pem(key_);
    s.audience = "https://login.salesforce.com";  // what the fake (like Salesforce) expects
    return s;
  }

  // Every secret a message or log line could leak ("eyJ" starts any JWT, the assertion).
  std::vector<std::string> secrets() const {
    std::vector<std::string> out = {"wrong-secret-3f9a", "PRIVATE KEY", "eyJ"};
    out.push_back(fake_options_.client_secret);
    out.push_back(fake_options_.password);
    out.push_back(fake_options_.refresh_token);
    return out;
  }
  void expect_no_secret(const std::string& message) const {
    for (const std::string& secret : secrets()) {
      EXPECT_EQ(message.find(secret), std::string::npos) << secret << " in: " << message;
    }
  }

  OAuthClient& make_client(OAuthSettings s) {
    clients_.push_back(std::make_unique<OAuthClient>(http_, std::move(s)));
    return *clients_.back();
  }

  // Starts `op` on the client thread; get() waits for it.
  template <typename T>
  std::function<T()> start(asio::awaitable<T> op) {
    auto out = std::make_shared<std::optional<T>>();
    auto future = asio::co_spawn(io_, store(std::move(op), out), asio::use_future).share();
    return [out, future]() -> T {
      if (future.wait_for(kHang) != std::future_status::ready) {
        ADD_FAILURE() << "the call did not return";
        return Error::permanent("test: hung");
      }
      future.get();
      return std::move(**out);
    };
  }
  template <typename T>
  T run(asio::awaitable<T> op) {
    return start(std::move(op))();
  }

  // The HTTP status of a data request made with `token`: 200 when the session is valid.
  int data_status(const AccessToken& token) {
    net::ClientRequest request;
    request.url = token.instance_url + "/services/data/v62.0/jobs/ingest";
    request.headers.emplace_back("Authorization", "Bearer " + token.access_token);
    auto response = run(http_->send(std::move(request)));
    EXPECT_TRUE(response.ok()) << response.error().message();
    return response.ok() ? response->status : 0;
  }

  std::uint64_t token_requests(const std::string& grant_type) const {
    const auto stats = fake_->stats();
    const auto it = stats.token_requests.find(grant_type);
    return it == stats.token_requests.end() ? 0 : it->second;
  }

  // A server on the fake's thread that answers every request with `response`; its base URL.
  std::string start_scripted(net::HttpResponse response) {
    auto server = net::HttpServer::start(server_io_, {}, [response](net::HttpRequest& request) {
      return scripted(response, request);
    });
    EXPECT_TRUE(server.ok()) << server.error().message();
    if (!server.ok()) return "http://127.0.0.1:1";
    scripted_ = std::move(server).value();
    return "http://127.0.0.1:" + std::to_string(scripted_->port());
  }

  test::LogCapture logs_;  // first: the HTTP client takes the default logger when created
  Key key_ = make_key();
  FakeSalesforceOptions fake_options_;
  asio::io_context server_io_;
  std::unique_ptr<FakeSalesforce> fake_;
  std::unique_ptr<net::HttpServer> scripted_;
  std::unique_ptr<test::IoThreads> server_threads_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::shared_ptr<net::HttpClient> http_;
  std::vector<std::unique_ptr<OAuthClient>> clients_;  // destroyed on the client thread
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// Each grant

TEST_F(OAuthClientTest, ClientCredentialsGrantGetsAUsableTokenForTheInstance) {
  OAuthClient& client = make_client(settings(Grant::kClientCredentials));
  auto token = run(client.token());
  ASSERT_TRUE(token.ok()) << token.error().message();
  EXPECT_EQ(token->instance_url, fake_->base_url());
  EXPECT_FALSE(token->access_token.empty());
  EXPECT_EQ(data_status(*token), 200);
  EXPECT_EQ(token_requests("client_credentials"), 1u);
}

TEST_F(OAuthClientTest, PasswordGrantGetsAUsableToken) {
  OAuthClient& client = make_client(settings(Grant::kPassword));
  auto token = run(client.token());
  ASSERT_TRUE(token.ok()) << token.error().message();
  EXPECT_EQ(token->instance_url, fake_->base_url());
  EXPECT_EQ(data_status(*token), 200);
  EXPECT_EQ(token_requests("password"), 1u);
}

TEST_F(OAuthClientTest, RefreshTokenGrantGetsAUsableTokenWithOrWithoutTheClientSecret) {
  OAuthClient& client = make_client(settings(Grant::kRefreshToken));
  auto token = run(client.token());
  ASSERT_TRUE(token.ok()) << token.error().message();
  EXPECT_EQ(token->instance_url, fake_->base_url());
  EXPECT_EQ(data_status(*token), 200);

  OAuthSettings without_secret = settings(Grant::kRefreshToken);
  without_secret.client_secret.clear();
  auto other = run(make_client(without_secret).token());
  ASSERT_TRUE(other.ok()) << other.error().message();
  EXPECT_EQ(data_status(*other), 200);
  EXPECT_EQ(token_requests("refresh_token"), 2u);
}

TEST_F(OAuthClientTest, JwtBearerGrantWithTheRegisteredKeyGetsAUsableToken) {
  OAuthClient& client = make_client(settings(Grant::kJwtBearer));
  auto token = run(client.token());
  ASSERT_TRUE(token.ok()) << token.error().message();
  EXPECT_EQ(token->instance_url, fake_->base_url());
  EXPECT_EQ(data_status(*token), 200);
  EXPECT_EQ(token_requests(kJwtGrantType), 1u);
}

TEST_F(OAuthClientTest, JwtBearerGrantTakesAnRsaPrivateKeyAndTheLoginUrlAsDefaultAudience) {
  // A login URL outside salesforce.com (here: the fake's) is its own audience.
  ASSERT_TRUE(fake_->configure({{"jwt_audience", fake_->base_url()}}).ok());
  OAuthSettings s = settings(Grant::kJwtBearer);
  s.audience.clear();
  s.login_url = fake_->base_url() + "/";
  s.private_key_pem = traditional_private_pem(key_);
  ASSERT_NE(s.private_key_pem.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  auto token = run(make_client(s).token());
  ASSERT_TRUE(token.ok()) << token.error().message();
  EXPECT_EQ(data_status(*token), 200);
}

// ---------------------------------------------------------------------------------------------
// Refused logins

TEST_F(OAuthClientTest, JwtSignedWithAnotherKeyIsRefusedPermanentlyWithoutTheAssertion) {
  OAuthSettings s = settings(Grant::kJwtBearer);
  s.private_key_pem = private_pem(make_key());
  auto token = run(make_client(s).token());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(token.error().message(),
            "salesforce login (jwt_bearer): invalid_grant: invalid assertion: JWT signature does "
            "not verify");
  expect_no_secret(token.error().message());
  EXPECT_EQ(token_requests(kJwtGrantType), 1u);
}

TEST_F(OAuthClientTest, WrongClientSecretIsRefusedPermanentlyWithoutTheSecret) {
  OAuthSettings s = settings(Grant::kClientCredentials);
  s.client_secret = "wrong-secret-3f9a";
  auto token = run(make_client(s).token());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(token.error().message(),
            "salesforce login (client_credentials): invalid_grant: invalid client credentials");
  expect_no_secret(token.error().message());
}

TEST_F(OAuthClientTest, WrongPasswordIsRefusedPermanentlyAndNothingIsCachedSoALaterCallRetries) {
  OAuthClient& client = make_client(settings(Grant::kPassword));
  ASSERT_TRUE(fake_->configure({{"password", "rotated-password-and-token"}}).ok());
  auto refused = run(client.token());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(refused.error().message(),
            "salesforce login (password): invalid_grant: authentication failure");
  expect_no_secret(refused.error().message());

  // The org takes the configured password again: the next call logs in.
  ASSERT_TRUE(fake_->configure({{"password", fake_options_.password}}).ok());
  auto token = run(client.token());
  ASSERT_TRUE(token.ok()) << token.error().message();
  EXPECT_EQ(token_requests("password"), 2u);
}

// ---------------------------------------------------------------------------------------------
// Caching, concurrency, renewal

TEST_F(OAuthClientTest, TokenIsFetchedOnceAndCached) {
  OAuthClient& client = make_client(settings(Grant::kClientCredentials));
  auto first = run(client.token());
  auto second = run(client.token());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->access_token, second->access_token);
  EXPECT_EQ(token_requests("client_credentials"), 1u);
}

TEST_F(OAuthClientTest, ConcurrentCallsWaitForTheRequestInFlight) {
  // The token endpoint takes 300 ms: the three calls overlap.
  ASSERT_TRUE(fake_->configure({{"latency_ms", 300}}).ok());
  OAuthClient& client = make_client(settings(Grant::kClientCredentials));
  auto a = start(client.token());
  auto b = start(client.token());
  auto c = start(client.token());
  auto ra = a();
  auto rb = b();
  auto rc = c();
  ASSERT_TRUE(ra.ok() && rb.ok() && rc.ok());
  EXPECT_EQ(ra->access_token, rb->access_token);
  EXPECT_EQ(ra->access_token, rc->access_token);
  EXPECT_EQ(token_requests("client_credentials"), 1u);
  EXPECT_EQ(fake_->stats().max_in_flight, 1u);

  // Two requests refused at once both renew: one new token request.
  auto d = start(client.renew());
  auto e = start(client.renew());
  auto rd = d();
  auto re = e();
  ASSERT_TRUE(rd.ok() && re.ok());
  EXPECT_EQ(rd->access_token, re->access_token);
  EXPECT_NE(rd->access_token, ra->access_token);
  EXPECT_EQ(token_requests("client_credentials"), 2u);
}

TEST_F(OAuthClientTest, RenewFetchesANewTokenAfterTheSessionExpired) {
  OAuthClient& client = make_client(settings(Grant::kJwtBearer));
  auto old_token = run(client.token());
  ASSERT_TRUE(old_token.ok()) << old_token.error().message();
  fake_->expire_sessions();
  EXPECT_EQ(data_status(*old_token), 401);

  auto renewed = run(client.renew());
  ASSERT_TRUE(renewed.ok()) << renewed.error().message();
  EXPECT_NE(renewed->access_token, old_token->access_token);
  EXPECT_EQ(data_status(*renewed), 200);
  EXPECT_EQ(token_requests(kJwtGrantType), 2u);
  // And it is the cached one now.
  auto cached = run(client.token());
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->access_token, renewed->access_token);
  EXPECT_EQ(token_requests(kJwtGrantType), 2u);
}

// ---------------------------------------------------------------------------------------------
// Retryable and malformed answers

TEST_F(OAuthClientTest, UnreachableLoginUrlIsRetryable) {
  OAuthSettings s = settings(Grant::kPassword);
  s.login_url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto token = run(make_client(s).token());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind(), ErrorKind::kRetryable) << token.error().message();
  // The HTTP client names itself after the grant: "salesforce login (password): salesforce: POST".
  EXPECT_TRUE(token.error().message().starts_with("salesforce login (password): "))
      << token.error().message();
  EXPECT_NE(token.error().message().find("POST " + s.login_url + "/services/oauth2/token"),
            std::string::npos)
      << token.error().message();
  expect_no_secret(token.error().message());
}

TEST_F(OAuthClientTest, ServiceUnavailableIsRetryableWithRetryAfterAndNoEchoedSecret) {
  net::HttpResponse unavailable;
  unavailable.status = 503;
  unavailable.content_type = "text/plain";
  unavailable.body = "maintenance, you sent: {body}";
  unavailable.headers.emplace_back("Retry-After", "7");
  OAuthSettings s = settings(Grant::kPassword);
  s.login_url = start_scripted(unavailable);
  auto token = run(make_client(s).token());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind(), ErrorKind::kRetryable);
  EXPECT_EQ(token.error().retry_after(), std::chrono::milliseconds(7000));
  EXPECT_NE(token.error().message().find("HTTP 503"), std::string::npos) << token.error().message();
  EXPECT_NE(token.error().message().find("client_secret=***"), std::string::npos)
      << token.error().message();
  expect_no_secret(token.error().message());
}

TEST_F(OAuthClientTest, TokenResponseWithoutInstanceUrlIsPermanentAndDoesNotQuoteTheToken) {
  net::HttpResponse partial;
  partial.body = R"({"access_token":"00D000000000001!AQsecret-session","token_type":"Bearer"})";
  OAuthSettings s = settings(Grant::kClientCredentials);
  s.login_url = start_scripted(partial);
  auto token = run(make_client(s).token());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(token.error().message(),
            "salesforce login (client_credentials): the token response has no instance_url");
}

// ---------------------------------------------------------------------------------------------
// The assertion itself

TEST_F(OAuthClientTest, AssertionIsAnRs256JwtWithTheClaimsSalesforceChecks) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  OAuthSettings s = settings(Grant::kJwtBearer);
  auto assertion = make_jwt_assertion(s, now);
  ASSERT_TRUE(assertion.ok()) << assertion.error().message();
  // base64url without padding: no '=', '+' or '/'.
  EXPECT_EQ(assertion->find_first_of("=+/"), std::string::npos);
  EXPECT_EQ(fakes::base64_decode(assertion->substr(0, assertion->find('.'))),
            std::string(R"({"alg":"RS256"})"));

  auto public_key = fakes::salesforce::public_key_from_pem(public_pem(key_));
  ASSERT_TRUE(public_key.ok());
  auto claims = fakes::salesforce::verify_rs256(*assertion, **public_key);
  ASSERT_TRUE(claims.ok()) << claims.error().message();
  EXPECT_EQ(*claims, json({{"iss", "fake-consumer-key"},
                           {"sub", "integration@example.com"},
                           {"aud", "https://login.salesforce.com"},
                           {"exp", 1700000000 + 180}}));

  auto other_key = fakes::salesforce::public_key_from_pem(public_pem(make_key()));
  ASSERT_TRUE(other_key.ok());
  EXPECT_FALSE(fakes::salesforce::verify_rs256(*assertion, **other_key).ok());
}

TEST_F(OAuthClientTest, DefaultAudienceFollowsTheLoginUrl) {
  const auto audience = [&](const std::string& login_url) {
    OAuthSettings s = settings(Grant::kJwtBearer);
    s.login_url = login_url;
    s.audience.clear();
    auto assertion = make_jwt_assertion(s, std::chrono::system_clock::now());
    EXPECT_TRUE(assertion.ok()) << assertion.error().message();
    if (!assertion.ok()) return std::string();
    const auto first = assertion->find('.');
    const auto payload = fakes::base64_decode(
        assertion->substr(first + 1, assertion->find('.', first + 1) - first - 1));
    return payload ? json::parse(*payload).value("aud", "") : std::string();
  };
  EXPECT_EQ(audience("https://login.salesforce.com"), "https://login.salesforce.com");
  EXPECT_EQ(audience("https://acme.my.salesforce.com/"), "https://login.salesforce.com");
  EXPECT_EQ(audience("https://test.salesforce.com"), "https://test.salesforce.com");
  EXPECT_EQ(audience("https://acme--uat.sandbox.my.salesforce.com"), "https://test.salesforce.com");
  EXPECT_EQ(audience("https://acme.my.site.com/customers/"), "https://acme.my.site.com/customers");
}

TEST_F(OAuthClientTest, UnreadableKeysAreInvalidConfigWithoutQuotingTheKeyAndSendNothing) {
  const auto error_for = [&](const std::string& pem) {
    OAuthSettings s = settings(Grant::kJwtBearer);
    s.private_key_pem = pem;
    auto assertion = make_jwt_assertion(s, std::chrono::system_clock::now());
    EXPECT_FALSE(assertion.ok());
    return assertion.ok() ? Error::permanent("") : assertion.error();
  };
  const Error garbage = error_for("not a key at all, hunter2-hunter2");
  EXPECT_EQ(garbage.kind(), ErrorKind::kInvalidConfig);
  EXPECT_TRUE(garbage.message().starts_with(
      "salesforce login (jwt_bearer): the private key is not an unencrypted PEM private key ("))
      << garbage.message();
  EXPECT_EQ(garbage.message().find("hunter2"), std::string::npos);
  // An encrypted key is refused (no passphrase prompt on the terminal).
  const std::string encrypted = encrypted_private_pem(key_);
  ASSERT_NE(encrypted.find("ENCRYPTED"), std::string::npos);
  EXPECT_EQ(error_for(encrypted).kind(), ErrorKind::kInvalidConfig);
  // RS256 needs RSA.
  EXPECT_EQ(error_for(private_pem(make_key("EC"))).message(),
            "salesforce login (jwt_bearer): the private key is not an RSA key (RS256 needs one)");
  EXPECT_EQ(error_for("").message(), "salesforce login (jwt_bearer): no private key is set");

  // Through the client: the same error, and no request.
  OAuthSettings s = settings(Grant::kJwtBearer);
  s.private_key_pem = "not a key at all, hunter2-hunter2";
  auto token = run(make_client(s).token());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(token_requests(kJwtGrantType), 0u);
}

}  // namespace
}  // namespace weft::salesforce

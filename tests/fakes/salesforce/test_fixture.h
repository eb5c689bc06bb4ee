#pragma once

// What the fake Salesforce's tests share: the fake running on two threads, a client that speaks
// to it over real HTTP (tokens, data requests, admin), and RS256 JWTs signed with keys made here.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fakes/encoding.h"
#include "fakes/salesforce/fake_salesforce.h"
#include "support/http_client.h"
#include "support/server_test_helpers.h"

namespace weft::fakes::salesforce {

using Headers = std::map<std::string, std::string>;
using nlohmann::json;

inline constexpr const char* kData = "/services/data/v62.0";

// A 2048-bit RSA key pair, owned.
inline std::shared_ptr<EVP_PKEY> make_rsa_key() {
  return std::shared_ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}),
                                   EVP_PKEY_free);
}

// The public half as a PEM "PUBLIC KEY".
inline std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

// header.payload.signature, signed RS256 with `key`.
inline std::string sign_jwt(const json& claims, EVP_PKEY* key) {
  const std::string signed_part = base64_encode(R"({"alg":"RS256","typ":"JWT"})", true) + "." +
                                  base64_encode(claims.dump(), true);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  std::string signature;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &length,
                     reinterpret_cast<const unsigned char*>(signed_part.data()),
                     signed_part.size()) == 1) {
    signature.resize(length);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
    signature.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  return signed_part + "." + base64_encode(signature, true);
}

inline std::int64_t epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class FakeSalesforceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto api = FakeSalesforce::start(io_, options_);
    ASSERT_TRUE(api.ok()) << api.error().message();
    api_ = std::move(api).value();
    threads_ = std::make_unique<test::IoThreads>(io_, 2);
  }
  void TearDown() override {
    api_->stop();
    EXPECT_TRUE(threads_->exited_within(std::chrono::seconds(5)));
  }

  test::HttpResponse request(const std::string& method, const std::string& target,
                             const Headers& headers = {}, const std::string& body = "") {
    return test::http_request(method, "127.0.0.1", api_->port(), target, headers, body);
  }
  // POST /services/oauth2/token with `form` form-urlencoded.
  test::HttpResponse token_request(const std::map<std::string, std::string>& form) {
    std::string body;
    for (const auto& [name, value] : form) {
      if (!body.empty()) body += '&';
      body += percent_encode(name) + "=" + percent_encode(value);
    }
    return request("POST", "/services/oauth2/token",
                   {{"Content-Type", "application/x-www-form-urlencoded"}}, body);
  }
  // A fresh access token from the client credentials grant.
  std::string login() {
    const auto response = token_request({{"grant_type", "client_credentials"},
                                         {"client_id", options_.client_id},
                                         {"client_secret", options_.client_secret}});
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body, nullptr, false).value("access_token", "");
  }
  // A request to kData + `path` with the session, logging in first if needed.
  test::HttpResponse data(const std::string& method, const std::string& path,
                          const std::string& body = "",
                          const std::string& content_type = "application/json") {
    if (token_.empty()) token_ = login();
    Headers headers{{"Authorization", "Bearer " + token_}};
    if (!body.empty()) headers.emplace("Content-Type", content_type);
    return request(method, kData + path, headers, body);
  }
  json admin(const std::string& method, const std::string& path, const json& body = nullptr) {
    const auto response = request(method, "/_admin/" + path, {{"Content-Type", "application/json"}},
                                  body.is_null() ? std::string() : body.dump());
    EXPECT_EQ(response.status, 200) << path << ": " << response.body;
    return json::parse(response.body, nullptr, false);
  }

  FakeSalesforceOptions options_;
  boost::asio::io_context io_;
  std::unique_ptr<FakeSalesforce> api_;
  std::unique_ptr<test::IoThreads> threads_;
  std::string token_;
};

}  // namespace weft::fakes::salesforce

// HttpClient over TLS and through proxies: certificate and host name verification against a
// self-signed certificate for "localhost", tls_insecure, CONNECT tunnels, absolute-form
// requests, NO_PROXY and proxy credentials.

#include <gtest/gtest.h>

#include "net/http_client_fixture.h"
#include "support/connect_proxy.h"

namespace weft::net {
namespace {

using namespace client_test;  // the fixture's names are the tests' vocabulary

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class HttpClientTlsTest : public HttpClientTest {
 protected:
  HttpClientOptions trusting_options() {
    auto options = client_options();
    options.ca_file = cert_file_;
    return options;
  }
};

TEST_F(HttpClientTlsTest, UntrustedCertificateFailsVerification) {
  start_tls_server();
  auto client = make_client();
  const auto response = get(client, url("/v1/x", "localhost"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(response.error().message(),
            "test client: GET " + url("/v1/x", "localhost") +
                ": TLS certificate verification failed: self-signed certificate");
  EXPECT_TRUE(seen().empty());
}

TEST_F(HttpClientTlsTest, CaFileMakesTheCertificateTrustedAndConnectionsAreReused) {
  start_tls_server();
  auto client = make_client(trusting_options());
  for (int i = 0; i < 3; ++i) {
    const auto response = get(client, url("/v1/x", "localhost"));
    ASSERT_TRUE(response.ok()) << response.error().message();
    EXPECT_EQ(response->body, "GET /v1/x ");
  }
  EXPECT_EQ(remotes().size(), 1U);
  EXPECT_EQ(seen().at(0).header("Host"), "localhost:" + std::to_string(port()));
}

// The certificate names "localhost" only; reached as 127.0.0.1 it is the wrong certificate even
// though its CA is trusted.
TEST_F(HttpClientTlsTest, CertificateForAnotherHostFails) {
  start_tls_server();
  auto client = make_client(trusting_options());
  const auto response = get(client, url("/x"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(response.error().message(),
                       ": TLS certificate verification failed: IP address mismatch (the "
                       "certificate is not valid for 127.0.0.1)"))
      << response.error().message();
}

TEST_F(HttpClientTlsTest, InsecureSkipsVerificationAndWarnsOnce) {
  start_tls_server();
  test::LogCapture log;
  auto options = client_options();
  options.tls_insecure = true;
  auto client = make_client(options);
  for (int i = 0; i < 2; ++i) {
    const auto response = get(client, url("/x"));
    ASSERT_TRUE(response.ok()) << response.error().message();
  }
  int warnings = 0;
  for (const auto& line : log.lines()) {
    warnings += line.starts_with("warning test client: tls_insecure is set") ? 1 : 0;
  }
  EXPECT_EQ(warnings, 1);
}

TEST_F(HttpClientTlsTest, PlainHttpServerOnAnHttpsUrlIsAPermanentTlsError) {
  start_server();
  auto client = make_client();
  const auto response = get(client, "https://127.0.0.1:" + std::to_string(port()) + "/x");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(response.error().message(), "TLS handshake failed"))
      << response.error().message();
}

TEST_F(HttpClientTlsTest, HttpsGoesThroughAConnectTunnel) {
  start_tls_server();
  test::ConnectProxy proxy;
  auto options = trusting_options();
  options.proxy.https_proxy = proxy.url();
  options.proxy.http_proxy = "http://127.0.0.1:1";  // not used for https
  auto client = make_client(options);
  for (int i = 0; i < 2; ++i) {
    const auto response = get(client, url("/v1/x?page=" + std::to_string(i), "localhost"));
    ASSERT_TRUE(response.ok()) << response.error().message();
    EXPECT_EQ(response->body, "GET /v1/x?page=" + std::to_string(i) + " ");
  }
  EXPECT_EQ(proxy.tunnels(), 1);  // the tunnel is kept alive like any connection
  EXPECT_EQ(proxy.request_lines(),
            std::vector<std::string>{"CONNECT localhost:" + std::to_string(port()) + " HTTP/1.1"});
}

TEST_F(HttpClientTlsTest, PlainHttpGoesThroughTheProxyInAbsoluteForm) {
  start_server();
  test::ConnectProxy proxy;
  auto options = client_options();
  options.proxy.http_proxy = proxy.url();
  auto client = make_client(options);
  const auto response = get(client, url("/x?q=1"));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->body, "GET /x?q=1 ");
  EXPECT_EQ(proxy.forwarded(), 1);
  EXPECT_EQ(proxy.request_lines(), std::vector<std::string>{"GET " + url("/x?q=1") + " HTTP/1.1"});
  EXPECT_EQ(seen().at(0).header("Host"), "127.0.0.1:" + std::to_string(port()));
}

TEST_F(HttpClientTlsTest, NoProxyHostsBypassTheProxy) {
  start_server();
  test::ConnectProxy proxy;
  auto options = client_options();
  options.proxy.http_proxy = proxy.url();
  options.proxy.no_proxy = "example.com, 127.0.0.1";
  auto client = make_client(options);
  const auto response = get(client, url("/direct"));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_TRUE(proxy.request_lines().empty());
  EXPECT_EQ(seen().size(), 1U);
}

TEST_F(HttpClientTlsTest, ProxyCredentialsComeFromTheProxyUrl) {
  start_tls_server();
  test::ConnectProxy proxy("robot:p@ss word");
  auto options = trusting_options();
  options.proxy.https_proxy = proxy.url("robot:p%40ss%20word");
  auto client = make_client(options);
  const auto response = get(client, url("/x", "localhost"));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(proxy.tunnels(), 1);
  EXPECT_EQ(seen().at(0).header("Proxy-Authorization"), std::nullopt);  // never to the origin

  options.proxy.https_proxy = proxy.url("robot:wrong-secret");
  auto refused = make_client(options);
  const auto denied = get(refused, url("/x", "localhost"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(denied.error().message(), "test client: GET " + url("/x", "localhost") + ": proxy " +
                                          proxy.url() +
                                          ": CONNECT localhost:" + std::to_string(port()) +
                                          " refused: HTTP 407 Proxy Authentication Required");
  EXPECT_EQ(proxy.refused(), 1);
}

TEST_F(HttpClientTlsTest, PlainHttpProxyRequestsCarryProxyCredentials) {
  start_server();
  test::ConnectProxy proxy("robot:secret");
  auto options = client_options();
  options.proxy.http_proxy = proxy.url("robot:secret");
  auto client = make_client(options);
  const auto response = get(client, url("/x"));
  ASSERT_TRUE(response.ok()) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(proxy.forwarded(), 1);
  EXPECT_EQ(proxy.refused(), 0);
}

TEST_F(HttpClientTlsTest, BadCaFileOrProxyFailsCreateNamingTheOption) {
  auto options = client_options();
  options.ca_file = dir_.file("missing.pem");
  auto client = HttpClient::create(client_thread_.io().get_executor(), options, {});
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(client.error().message(),
            "test client ca_file " + dir_.file("missing.pem") + ": no such file or directory");

  options.ca_file = dir_.write("garbage.pem", "not a certificate\n");
  client = HttpClient::create(client_thread_.io().get_executor(), options, {});
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_TRUE(client.error().message().starts_with("test client ca_file " +
                                                   dir_.file("garbage.pem") + ": "))
      << client.error().message();

  options.ca_file.clear();
  options.proxy.https_proxy = "https://user:pw@proxy.example:3128";
  client = HttpClient::create(client_thread_.io().get_executor(), options, {});
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_TRUE(client.error().message().starts_with(
      "test client https_proxy 'https://proxy.example:3128': only http:// proxies"))
      << client.error().message();
}

}  // namespace
}  // namespace weft::net

// HttpServer over TLS: answers on one connection, plain HTTP to the TLS port, the handshake's
// timeout, and bad certificate or key files.

#include <gtest/gtest.h>

#include "net/http_server_fixture.h"
#include "net/http_test_client.h"
#include "support/temp_dir.h"

namespace weft::net {
namespace {

using namespace test_fixture;  // the fixture's names are the tests' vocabulary

class HttpServerTlsTest : public HttpServerTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(write_self_signed_certificate(cert_, key_)) << "could not make a test certificate";
  }
  HttpServerOptions tls_options() {
    auto out = options();
    out.tls_cert_file = cert_;
    out.tls_key_file = key_;
    return out;
  }

  test::TempDir dir_;
  std::string cert_ = dir_.file("cert.pem");
  std::string key_ = dir_.file("key.pem");
};

TEST_F(HttpServerTlsTest, TlsClientGetsAnswersOnOneConnection) {
  start(tls_options());
  const auto result = tls_exchange(
      server_->port(), {request_text("POST", "/a", "one"), request_text("POST", "/b", "two")});
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.responses.size(), 2U);
  EXPECT_EQ(result.responses[0], std::make_pair(200, std::string("POST /a one")));
  EXPECT_EQ(result.responses[1], std::make_pair(200, std::string("POST /b two")));
}

TEST_F(HttpServerTlsTest, PlainHttpToTheTlsPortIsClosed) {
  start(tls_options());
  WireClient client(server_->port());
  ASSERT_TRUE(client.send(request_text("GET", "/")));
  const std::string received = client.read_until_closed();
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_FALSE(received.starts_with("HTTP/1.1 200")) << received;
  EXPECT_TRUE(echo_.seen.empty());
}

TEST_F(HttpServerTlsTest, HandshakeIsBoundedByTheReadTimeout) {
  auto opts = tls_options();
  opts.read_timeout = 300ms;
  start(opts);
  WireClient client(server_->port());  // connects, never says hello
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTlsTest, BadTlsFilesFailStartNamingTheFile) {
  auto handler = [this](HttpRequest& r) { return echo(echo_, r); };
  auto missing_key = tls_options();
  missing_key.tls_key_file = dir_.file("nope.pem");
  auto server = HttpServer::start(io_, missing_key, handler);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(server.error().message(),
            "webhook tls_key_file " + dir_.file("nope.pem") + ": no such file or directory");

  auto garbage_cert = tls_options();
  garbage_cert.tls_cert_file = dir_.write("garbage.pem", "not a certificate\n");
  server = HttpServer::start(io_, garbage_cert, handler);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_TRUE(server.error().message().starts_with("webhook tls_cert_file " +
                                                   dir_.file("garbage.pem") + ": "))
      << server.error().message();

  auto key_only = tls_options();
  key_only.tls_cert_file.clear();
  server = HttpServer::start(io_, key_only, handler);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().kind(), ErrorKind::kInvalidConfig);
}

}  // namespace
}  // namespace weft::net

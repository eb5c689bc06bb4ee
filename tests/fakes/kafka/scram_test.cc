// The gateway's SCRAM server against RFC 7677's SCRAM-SHA-256 example, and the ways a client
// can fail it. (SCRAM-SHA-512 differs only in the hash; librdkafka checks it end to end in
// fake_kafka_security_test.cc.)

#include "fakes/kafka/scram.h"

#include <gtest/gtest.h>

namespace weft::fakes::kafka {
namespace {

// RFC 7677 section 3: user "user", password "pencil".
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramServer rfc_server(std::string password = "pencil") {
  return ScramServer(
      ScramHash::kSha256,
      [password](const std::string& user) -> std::optional<std::string> {
        if (user == "user") return password;
        return std::nullopt;
      },
      std::string(kServerNonce), *base64_decode(kSalt));
}

TEST(Scram, TheRfc7677ExampleAuthenticatesWithItsServerSignature) {
  ScramServer server = rfc_server();
  const ScramServer::Step first = server.step(kClientFirst);
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.reply, kServerFirst);
  EXPECT_EQ(server.user(), "user");
  EXPECT_FALSE(server.done());
  const ScramServer::Step final = server.step(kClientFinal);
  ASSERT_TRUE(final.ok) << final.error;
  EXPECT_EQ(final.reply, kServerFinal);
  EXPECT_TRUE(server.done());
  EXPECT_FALSE(server.step(kClientFinal).ok) << "a third message";
}

TEST(Scram, AProofMadeWithAnotherPasswordFails) {
  ScramServer server = rfc_server("not pencil");
  ASSERT_TRUE(server.step(kClientFirst).ok);
  const ScramServer::Step final = server.step(kClientFinal);
  EXPECT_FALSE(final.ok);
  EXPECT_EQ(final.error, "invalid credentials");
  EXPECT_FALSE(server.done());
}

TEST(Scram, AnUnknownUserAForeignNonceOrBadMessagesFail) {
  {
    ScramServer server = rfc_server();
    const ScramServer::Step first = server.step("n,,n=someone,r=abc");
    EXPECT_FALSE(first.ok);
    EXPECT_EQ(first.error, "unknown user");
  }
  {
    ScramServer server = rfc_server();
    ASSERT_TRUE(server.step(kClientFirst).ok);
    std::string final(kClientFinal);
    final.replace(final.find("k0,p="), 2, "k1");  // the nonce the server did not send
    EXPECT_EQ(server.step(final).error, "nonce mismatch");
  }
  {
    ScramServer server = rfc_server();
    EXPECT_EQ(server.step("p=tls-unique,,n=user,r=abc").error, "channel binding is not supported");
  }
  {
    ScramServer server = rfc_server();
    EXPECT_FALSE(server.step("n,,r=abc").ok) << "no user";
    EXPECT_FALSE(server.step(kClientFirst).ok) << "after a failure";
  }
}

TEST(Scram, LibrdkafkasRepeatedClientNonceIsAcceptedAsKafka39DoesButNoOtherPrefix) {
  // librdkafka < 2.6.1 puts its nonce in front of the combined one; the proof covers what it
  // sent. Here only the nonce check is at stake: the proof cannot match, the nonce must.
  ScramServer server = rfc_server();
  ASSERT_TRUE(server.step(kClientFirst).ok);
  std::string doubled(kClientFinal);
  doubled.insert(doubled.find("r=") + 2, "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(server.step(doubled).error, "invalid credentials") << "got past the nonce check";

  ScramServer other = rfc_server();
  ASSERT_TRUE(other.step(kClientFirst).ok);
  std::string prefixed(kClientFinal);
  prefixed.insert(prefixed.find("r=") + 2, "somethingElse");
  EXPECT_EQ(other.step(prefixed).error, "nonce mismatch");
}

TEST(Scram, SaslNamesAreDecoded) {
  std::string seen;
  ScramServer server(ScramHash::kSha512, [&](const std::string& user) {
    seen = user;
    return std::optional<std::string>("x");
  });
  ASSERT_TRUE(server.step("n,,n=a=2Cb=3Dc,r=nonce").ok);
  EXPECT_EQ(seen, "a,b=c");
  EXPECT_NE(server.step("n,,n=user,r=x").error, "");
}

TEST(Scram, Base64RoundTripsAndRefusesGarbage) {
  for (const std::string data : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(data)), data) << base64_encode(data);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_decode("Zm8"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm8*"), std::nullopt);
}

}  // namespace
}  // namespace weft::fakes::kafka

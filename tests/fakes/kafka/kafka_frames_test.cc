// The gateway's frame rewriting, byte for byte: responses are built here field by field as the
// Kafka protocol guide lays them out, rewritten, and compared with the expected bytes.

#include "fakes/kafka/kafka_frames.h"

#include <gtest/gtest.h>

namespace weft::fakes::kafka {
namespace {

// Builds Kafka primitives big-endian, the way the tests spell out a frame: a string with
// chainable appenders.
class Bytes : public std::string {
 public:
  Bytes& i8(int v) { return put(static_cast<unsigned>(v), 1); }
  Bytes& i16(int v) { return put(static_cast<unsigned>(v), 2); }
  Bytes& i32(std::int32_t v) { return put(static_cast<unsigned>(v), 4); }
  Bytes& str(std::string_view s) {
    i16(static_cast<int>(s.size()));
    append(s);
    return *this;
  }
  Bytes& null_str() { return i16(-1); }
  Bytes& bytes(std::string_view s) {
    i32(static_cast<std::int32_t>(s.size()));
    append(s);
    return *this;
  }
  Bytes& raw(std::string_view s) {
    append(s);
    return *this;
  }

 private:
  Bytes& put(unsigned v, int size) {
    for (int i = size - 1; i >= 0; --i) push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return *this;
  }
};

const AddressMap kGateways = {{9001, {"127.0.0.1", 5001}}, {9002, {"127.0.0.1", 5002}}};

TEST(KafkaFrames, ApiVersionsV0GainsTheSaslApisAndCapsMetadataAndFindCoordinator) {
  const std::string mock = Bytes()
                               .i32(7)
                               .i16(0)
                               .i32(4)
                               .i16(0)
                               .i16(0)
                               .i16(9)  // Produce 0..9
                               .i16(3)
                               .i16(0)
                               .i16(12)  // Metadata 0..12
                               .i16(10)
                               .i16(0)
                               .i16(4)  // FindCoordinator 0..4
                               .i16(17)
                               .i16(0)
                               .i16(0);  // SaslHandshake 0..0
  const Rewritten out = rewrite_api_versions(mock, 0);
  ASSERT_TRUE(out.ok()) << out.error;
  const std::string expected = Bytes()
                                   .i32(7)
                                   .i16(0)
                                   .i32(5)
                                   .i16(0)
                                   .i16(0)
                                   .i16(9)
                                   .i16(3)
                                   .i16(0)
                                   .i16(8)
                                   .i16(10)
                                   .i16(0)
                                   .i16(2)
                                   .i16(17)
                                   .i16(0)
                                   .i16(1)
                                   .i16(36)
                                   .i16(0)
                                   .i16(1);
  EXPECT_EQ(out.frame, expected);
}

TEST(KafkaFrames, ApiVersionsV3KeepsTheFlexibleLayoutAndItsTaggedFields) {
  const std::string mock = Bytes()
                               .i32(1)
                               .i16(0)
                               .i8(3)  // compact array: 2 keys
                               .i16(3)
                               .i16(0)
                               .i16(12)
                               .i8(0)  // Metadata, no tags
                               .i16(18)
                               .i16(0)
                               .i16(3)
                               .i8(1)
                               .i8(5)
                               .i8(1)
                               .raw("x")  // one tag
                               .i32(0)    // throttle_time_ms
                               .i8(0);    // no top-level tags
  const Rewritten out = rewrite_api_versions(mock, 3);
  ASSERT_TRUE(out.ok()) << out.error;
  const std::string expected = Bytes()
                                   .i32(1)
                                   .i16(0)
                                   .i8(5)
                                   .i16(3)
                                   .i16(0)
                                   .i16(8)
                                   .i8(0)
                                   .i16(17)
                                   .i16(0)
                                   .i16(1)
                                   .i8(0)
                                   .i16(18)
                                   .i16(0)
                                   .i16(3)
                                   .i8(1)
                                   .i8(5)
                                   .i8(1)
                                   .raw("x")
                                   .i16(36)
                                   .i16(0)
                                   .i16(1)
                                   .i8(0)
                                   .i32(0)
                                   .i8(0);
  EXPECT_EQ(out.frame, expected);
}

TEST(KafkaFrames, AnApiVersionsErrorIsLeftAsTheBrokerWroteIt) {
  // librdkafka's mock answers a v3 request it does not support like this; the client retries.
  const std::string mock = Bytes().i32(1).i16(35).i8(1).i16(18).i16(0).i16(2);
  const Rewritten out = rewrite_api_versions(mock, 3);
  ASSERT_TRUE(out.ok()) << out.error;
  EXPECT_EQ(out.frame, mock);
  EXPECT_FALSE(rewrite_api_versions(Bytes().i32(1).i16(0).i32(2).i16(3), 0).ok()) << "truncated";
}

TEST(KafkaFrames, MetadataPointsEveryBrokerAtItsGateway) {
  const std::string topics = Bytes().i32(1).i16(0).str("orders").i32(0);
  const std::string mock = Bytes()
                               .i32(42)
                               .i32(2)
                               .i32(1)
                               .str("localhost")
                               .i32(9001)
                               .null_str()
                               .i32(2)
                               .str("localhost")
                               .i32(9002)
                               .str("rack-b")
                               .str("cluster")
                               .i32(1)
                               .raw(topics);
  const Rewritten out = rewrite_metadata(mock, 2, kGateways);
  ASSERT_TRUE(out.ok()) << out.error;
  const std::string expected = Bytes()
                                   .i32(42)
                                   .i32(2)
                                   .i32(1)
                                   .str("127.0.0.1")
                                   .i32(5001)
                                   .null_str()
                                   .i32(2)
                                   .str("127.0.0.1")
                                   .i32(5002)
                                   .str("rack-b")
                                   .str("cluster")
                                   .i32(1)
                                   .raw(topics);
  EXPECT_EQ(out.frame, expected);

  // v0 has no rack; v3+ starts with throttle_time_ms.
  EXPECT_EQ(
      rewrite_metadata(Bytes().i32(1).i32(1).i32(1).str("h").i32(9002).i32(0), 0, kGateways).frame,
      std::string(Bytes().i32(1).i32(1).i32(1).str("127.0.0.1").i32(5002).i32(0)));
  EXPECT_EQ(rewrite_metadata(Bytes().i32(1).i32(0).i32(1).i32(1).str("h").i32(9001).null_str(), 8,
                             kGateways)
                .frame,
            std::string(Bytes().i32(1).i32(0).i32(1).i32(1).str("127.0.0.1").i32(5001).null_str()));
}

TEST(KafkaFrames, MetadataThatCannotBeRewrittenIsAnErrorThatSaysWhy) {
  const Rewritten unknown =
      rewrite_metadata(Bytes().i32(1).i32(1).i32(3).str("localhost").i32(9009), 0, kGateways);
  EXPECT_NE(unknown.error.find("localhost:9009 is not fronted by any gateway"), std::string::npos)
      << unknown.error;
  EXPECT_NE(rewrite_metadata(Bytes().i32(1), 9, kGateways).error.find("flexible"),
            std::string::npos);
  EXPECT_FALSE(rewrite_metadata(Bytes().i32(1).i32(1).i32(3).str("localh"), 0, kGateways).ok());
}

TEST(KafkaFrames, FindCoordinatorPointsAtTheGatewayUnlessItFailed) {
  const std::string found =
      Bytes().i32(5).i32(0).i16(0).null_str().i32(2).str("localhost").i32(9002);
  const Rewritten out = rewrite_find_coordinator(found, 2, kGateways);
  ASSERT_TRUE(out.ok()) << out.error;
  EXPECT_EQ(out.frame,
            std::string(Bytes().i32(5).i32(0).i16(0).null_str().i32(2).str("127.0.0.1").i32(5002)));
  EXPECT_EQ(
      rewrite_find_coordinator(Bytes().i32(5).i16(0).i32(1).str("h").i32(9001), 0, kGateways).frame,
      std::string(Bytes().i32(5).i16(0).i32(1).str("127.0.0.1").i32(5001)));

  // The mock's "coordinator not available": null host, port -1.
  const std::string none = Bytes()
                               .i32(5)
                               .i32(0)
                               .i16(15)
                               .str("Broker: Coordinator not available")
                               .i32(-1)
                               .null_str()
                               .i32(-1);
  EXPECT_EQ(rewrite_find_coordinator(none, 1, kGateways).frame, none);
  EXPECT_FALSE(rewrite_find_coordinator(found, 3, kGateways).ok());
}

TEST(KafkaFrames, SaslRequestsAreReadAndAnswered) {
  const std::string handshake = Bytes().i16(17).i16(1).i32(3).str("rdkafka").str("SCRAM-SHA-512");
  EXPECT_EQ(parse_request_header(handshake)->correlation_id, 3);
  EXPECT_EQ(parse_sasl_handshake(handshake), "SCRAM-SHA-512");
  const std::string authenticate =
      Bytes().i16(36).i16(1).i32(4).null_str().bytes(std::string("\0u\0p", 4));
  EXPECT_EQ(parse_sasl_authenticate(authenticate), std::string("\0u\0p", 4));
  EXPECT_EQ(parse_sasl_authenticate(Bytes().i16(36).i16(1).i32(4).null_str().i32(9)), std::nullopt);
  EXPECT_EQ(parse_request_header("\0\x11\0"), std::nullopt);

  EXPECT_EQ(sasl_handshake_response(3, 33, {"PLAIN", "SCRAM-SHA-256"}),
            std::string(Bytes().i32(3).i16(33).i32(2).str("PLAIN").str("SCRAM-SHA-256")));
  EXPECT_EQ(sasl_authenticate_response(4, 0, 0, "", "v=abc"),
            std::string(Bytes().i32(4).i16(0).null_str().bytes("v=abc")));
  EXPECT_EQ(sasl_authenticate_response(4, 1, 58, "bad", ""),
            std::string(Bytes().i32(4).i16(58).str("bad").bytes("").i32(0).i32(0)));
  EXPECT_EQ(framed("abc"), std::string(Bytes().i32(3).raw("abc")));
}

}  // namespace
}  // namespace weft::fakes::kafka

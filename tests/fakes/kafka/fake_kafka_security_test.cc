// weft-fake-kafka with --tls and --sasl: librdkafka clients in this process produce and consume
// through the gateway with each security setup weft offers, and are refused as a real broker
// would refuse them (wrong password, untrusted certificate, no credentials).

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "support/kafka_cluster.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using Properties = std::map<std::string, std::string>;

struct ClientError {
  int code;
  std::string reason;
};

// A producer that keeps its delivery reports and the errors librdkafka reports for the client
// (error callback). Not thread-safe: the callbacks run inside poll() and flush().
class Producer {
 public:
  explicit Producer(const Properties& properties) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[512];
    for (const auto& [name, value] : properties) {
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
          RD_KAFKA_CONF_OK) {
        ADD_FAILURE() << name << ": " << error;
      }
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* self) {
      static_cast<Producer*>(self)->reports.push_back(m->err);
    });
    rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int code, const char* reason, void* self) {
      static_cast<Producer*>(self)->errors.push_back({code, reason});
    });
    handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
    EXPECT_NE(handle_, nullptr) << error;
  }

  void produce(const std::string& topic, const std::string& payload) {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(handle_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }

  // Waits for every delivery report (at most 60 s).
  void flush() { rd_kafka_flush(handle_.get(), 60000); }

  // Polls until an error with `code` was reported (true) or 30 s passed (false).
  bool wait_for_error(int code) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const ClientError& e : errors) {
        if (e.code == code) return true;
      }
      rd_kafka_poll(handle_.get(), 100);
    }
    return false;
  }

  std::string describe_errors() const {
    std::string out;
    for (const ClientError& e : errors) {
      out += std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(e.code))) + ": " +
             e.reason + "\n";
    }
    return out.empty() ? "(no errors reported)" : out;
  }

  const std::string* first_reason(int code) const {
    for (const ClientError& e : errors) {
      if (e.code == code) return &e.reason;
    }
    return nullptr;
  }

  std::vector<rd_kafka_resp_err_t> reports;
  std::vector<ClientError> errors;

 private:
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> handle_{nullptr, rd_kafka_destroy};
};

struct SecuritySetup {
  std::string name;
  KafkaSecurity security;
  int brokers;
};

// What gtest prints for a parameter (rather than its bytes).
void PrintTo(const SecuritySetup& setup, std::ostream* out) { *out << setup.name; }

class FakeKafkaGateway : public ::testing::TestWithParam<SecuritySetup> {};

// Produces through the gateway, then consumes back as a consumer group member (FindCoordinator,
// JoinGroup, OffsetFetch, Fetch: all through the gateway).
TEST_P(FakeKafkaGateway, MessagesAreProducedAndConsumedBackThroughTheGateway) {
  const SecuritySetup& setup = GetParam();
  KafkaCluster kafka(setup.security, setup.brokers);
  kafka.create_topic("orders", 3);
  const Properties properties = kafka.client_properties();
  ASSERT_EQ(properties.at("bootstrap.servers"), kafka.bootstrap());

  Producer producer(properties);
  std::set<std::string> sent;
  for (int i = 0; i < 200; ++i) {
    sent.insert("order-" + std::to_string(i));
    producer.produce("orders", "order-" + std::to_string(i));
  }
  producer.flush();
  ASSERT_EQ(producer.reports.size(), 200u) << producer.describe_errors();
  for (rd_kafka_resp_err_t report : producer.reports) {
    ASSERT_EQ(report, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(report) << "\n"
                                                  << producer.describe_errors();
  }

  std::set<std::string> received;
  for (const auto& message : kafka.consume("orders", 200)) received.insert(*message.value);
  EXPECT_EQ(received, sent);
}

INSTANTIATE_TEST_SUITE_P(
    Security, FakeKafkaGateway,
    ::testing::Values(
        SecuritySetup{"TlsOnly", {.tls = true, .users = {}}, 2},
        SecuritySetup{
            "SaslPlaintextPlain", {.tls = false, .users = {{"PLAIN", "alice", "alice-pw"}}}, 1},
        SecuritySetup{
            "SaslSslScramSha256", {.tls = true, .users = {{"SCRAM-SHA-256", "weft", "pw-256"}}}, 1},
        SecuritySetup{
            "SaslSslScramSha512",
            {.tls = true, .users = {{"SCRAM-SHA-512", "weft", "pw-512"}, {"PLAIN", "other", "x"}}},
            3}),
    [](const ::testing::TestParamInfo<SecuritySetup>& info) { return info.param.name; });

// The first message of the one-partition topic `orders`, read with the right credentials.
std::string first_message(const KafkaCluster& kafka) {
  const auto messages = kafka.consume("orders", 1);
  return messages.empty() ? "(none)" : messages.front().value.value_or("(null)");
}

TEST(FakeKafkaSecurity, AWrongPasswordIsAnAuthenticationErrorAndDeliversNothing) {
  KafkaCluster kafka({.tls = true, .users = {{"SCRAM-SHA-512", "weft", "right-password"}}});
  kafka.create_topic("orders", 1);
  Properties properties = kafka.client_properties();
  properties["sasl.password"] = "wrong-password";
  properties["message.timeout.ms"] = "2000";
  {
    Producer producer(properties);
    producer.produce("orders", "must not arrive");
    ASSERT_TRUE(producer.wait_for_error(RD_KAFKA_RESP_ERR__AUTHENTICATION))
        << producer.describe_errors();
    EXPECT_NE(producer.first_reason(RD_KAFKA_RESP_ERR__AUTHENTICATION)
                  ->find("Authentication failed during authentication due to invalid "
                         "credentials with SASL mechanism SCRAM-SHA-512"),
              std::string::npos)
        << producer.describe_errors();
    producer.flush();
    ASSERT_EQ(producer.reports.size(), 1u);
    EXPECT_NE(producer.reports[0], RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // Had the refused message got in, it would come before this one.
  kafka.produce("orders", {{.key = {}, .value = "marker", .headers = {}, .partition = -1}});
  EXPECT_EQ(first_message(kafka), "marker");
}

TEST(FakeKafkaSecurity, AClientWithoutCredentialsIsCutOffBeforeItCanProduce) {
  KafkaCluster kafka({.tls = false, .users = {{"PLAIN", "alice", "alice-pw"}}});
  kafka.create_topic("orders", 1);
  Producer producer({{"bootstrap.servers", kafka.bootstrap()}, {"message.timeout.ms", "2000"}});
  producer.produce("orders", "must not arrive");
  ASSERT_TRUE(producer.wait_for_error(RD_KAFKA_RESP_ERR__TRANSPORT)) << producer.describe_errors();
  producer.flush();
  ASSERT_EQ(producer.reports.size(), 1u);
  EXPECT_NE(producer.reports[0], RD_KAFKA_RESP_ERR_NO_ERROR);
  kafka.produce("orders", {{.key = {}, .value = "marker", .headers = {}, .partition = -1}});
  EXPECT_EQ(first_message(kafka), "marker");
}

TEST(FakeKafkaSecurity, AnUnknownMechanismIsRefusedWithTheEnabledOnes) {
  KafkaCluster kafka({.tls = false, .users = {{"SCRAM-SHA-256", "weft", "pw"}}});
  Properties properties = kafka.client_properties();
  properties["sasl.mechanism"] = "PLAIN";
  Producer producer(properties);
  producer.produce("orders", "x");
  ASSERT_TRUE(producer.wait_for_error(RD_KAFKA_RESP_ERR__AUTHENTICATION))
      << producer.describe_errors();
  const std::string reason = *producer.first_reason(RD_KAFKA_RESP_ERR__AUTHENTICATION);
  EXPECT_NE(reason.find("Unsupported SASL mechanism"), std::string::npos) << reason;
  EXPECT_NE(reason.find("SCRAM-SHA-256"), std::string::npos) << reason;
}

TEST(FakeKafkaSecurity, TlsFailsCertificateVerificationWithoutTheFakesCa) {
  KafkaCluster kafka({.tls = true, .users = {}});
  KafkaCluster another({.tls = true, .users = {}});  // a CA of its own
  for (const std::string& ca : {std::string(), another.ca_file()}) {
    SCOPED_TRACE(ca.empty() ? "ssl.ca.location unset" : "another CA");
    Properties properties = kafka.client_properties();
    properties.erase("ssl.ca.location");
    if (!ca.empty()) properties["ssl.ca.location"] = ca;
    properties["message.timeout.ms"] = "2000";
    Producer producer(properties);
    producer.produce("orders", "must not arrive");
    ASSERT_TRUE(producer.wait_for_error(RD_KAFKA_RESP_ERR__SSL)) << producer.describe_errors();
    EXPECT_NE(producer.first_reason(RD_KAFKA_RESP_ERR__SSL)->find("certificate verify failed"),
              std::string::npos)
        << producer.describe_errors();
    producer.flush();
    ASSERT_EQ(producer.reports.size(), 1u);
    EXPECT_NE(producer.reports[0], RD_KAFKA_RESP_ERR_NO_ERROR);
  }
}

TEST(FakeKafkaSecurity, ABadSaslOptionStopsTheFakeWithAReason) {
  try {
    KafkaCluster kafka({.tls = false, .users = {{"GSSAPI", "weft", "pw"}}});
    FAIL() << "weft-fake-kafka started with an unknown mechanism";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown mechanism 'GSSAPI'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace weft::test

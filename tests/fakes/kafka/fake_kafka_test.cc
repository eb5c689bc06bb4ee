// The test broker itself: a librdkafka client in this process produces to and consumes from
// weft-fake-kafka in another, and the fault commands change what the client sees.

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/kafka_cluster.h"

namespace weft::test {
namespace {

struct Delivery {
  std::string payload;
  rd_kafka_resp_err_t error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* reports = static_cast<std::vector<Delivery>*>(opaque);
  reports->push_back({std::string(static_cast<const char*>(message->payload), message->len),
                      message->err});
}

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

rd_kafka_conf_t* config(const std::map<std::string, std::string>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << name << ": " << error;
    }
  }
  return conf;
}

class Producer {
 public:
  Producer(const KafkaCluster& kafka, std::map<std::string, std::string> settings = {}) {
    settings["bootstrap.servers"] = kafka.bootstrap();
    rd_kafka_conf_t* conf = config(settings);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &reports);
    char error[512];
    handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
    EXPECT_NE(handle_, nullptr) << error;
  }

  void produce(const std::string& topic, const std::string& key, const std::string& payload) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        handle_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }

  // Waits until every message produced so far has its delivery report.
  void flush() { rd_kafka_flush(handle_.get(), 30000); }

  std::vector<Delivery> reports;

 private:
  Handle handle_;
};

TEST(FakeKafka, AnotherProcessProducesAndConsumesThroughIt) {
  KafkaCluster kafka;
  kafka.create_topic("orders", 3);
  Producer producer(kafka, {{"enable.idempotence", "true"}});
  for (int i = 0; i < 300; ++i) {
    producer.produce("orders", "customer-" + std::to_string(i % 7), std::to_string(i));
  }
  producer.flush();
  ASSERT_EQ(producer.reports.size(), 300u);
  for (const Delivery& report : producer.reports) {
    EXPECT_EQ(report.error, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(report.error);
  }

  const auto consumed = kafka.consume("orders", 300);
  ASSERT_EQ(consumed.size(), 300u);
  std::map<std::string, int> last_of_key;  // a key's messages keep their order
  for (const auto& message : consumed) {
    const std::string key = message.key.value_or("");
    const int n = std::stoi(message.value.value_or("-1"));
    EXPECT_EQ(key, "customer-" + std::to_string(n % 7));
    if (auto it = last_of_key.find(key); it != last_of_key.end()) {
      EXPECT_GT(n, it->second);
    }
    last_of_key[key] = n;
  }
}

TEST(FakeKafka, ABrokerThatIsDownTimesMessagesOutUntilItIsUpAgain) {
  KafkaCluster kafka;
  kafka.create_topic("events", 1);
  // Short timeouts, and reconnects soon after the broker is back.
  Producer producer(kafka, {{"message.timeout.ms", "1500"},
                            {"reconnect.backoff.ms", "20"},
                            {"reconnect.backoff.max.ms", "100"}});
  producer.produce("events", "k", "before");
  producer.flush();
  ASSERT_EQ(producer.reports.size(), 1u);
  EXPECT_EQ(producer.reports[0].error, RD_KAFKA_RESP_ERR_NO_ERROR);

  kafka.set_broker_down(1);
  producer.produce("events", "k", "while down");
  producer.flush();
  ASSERT_EQ(producer.reports.size(), 2u);
  EXPECT_EQ(producer.reports[1].error, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
      << rd_kafka_err2str(producer.reports[1].error);

  kafka.set_broker_up(1);
  producer.produce("events", "k", "after");
  producer.flush();
  ASSERT_EQ(producer.reports.size(), 3u);
  EXPECT_EQ(producer.reports[2].error, RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_err2str(producer.reports[2].error);
}

TEST(FakeKafka, InjectedProduceErrorsReachTheClient) {
  KafkaCluster kafka;
  kafka.create_topic("payments", 1);
  Producer producer(kafka, {{"retry.backoff.ms", "10"}});
  // A retryable error is retried by the client and the message arrives; a permanent one is
  // its delivery report.
  kafka.push_request_errors(0, {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS});
  producer.produce("payments", "k", "retried");
  producer.flush();
  kafka.push_request_errors(0, {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED});
  producer.produce("payments", "k", "refused");
  producer.flush();
  ASSERT_EQ(producer.reports.size(), 2u);
  EXPECT_EQ(producer.reports[0].error, RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_err2str(producer.reports[0].error);
  EXPECT_EQ(producer.reports[1].error, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
      << rd_kafka_err2str(producer.reports[1].error);
  const auto consumed = kafka.consume("payments", 1);
  ASSERT_EQ(consumed.size(), 1u);
  EXPECT_EQ(consumed.front().value, "retried");
}

TEST(FakeKafka, ABadCommandIsAnErrorThatSaysWhy) {
  KafkaCluster kafka;
  try {
    kafka.create_topic("t", 0);
    FAIL() << "a topic with no partitions was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("usage: topic NAME PARTITIONS"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace weft::test

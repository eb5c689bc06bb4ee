// The producer against weft-fake-kafka: what its delivery reports say is what arrived.

#include "kafka/producer.h"

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "connectors/run_coroutine.h"
#include "support/kafka_cluster.h"

namespace weft::kafka {
namespace {

using test::KafkaCluster;

class ProducerTest : public ::testing::Test {
 protected:
  std::shared_ptr<Producer> make(std::map<std::string, std::string> properties = {}) {
    properties["bootstrap.servers"] = kafka_.bootstrap();
    auto producer = Producer::create(thread_.executor(), properties);
    EXPECT_TRUE(producer.ok()) << (producer.ok() ? "" : producer.error().message());
    return producer.ok() ? *producer : nullptr;
  }

  // One report per message: what send() said of those it did not deliver, success for the
  // rest.
  std::vector<DeliveryReport> send(Producer& producer, std::vector<OutgoingMessage> messages) {
    std::vector<DeliveryReport> reports(messages.size());
    for (auto& [index, report] : thread_.run(producer.send(std::move(messages)))) {
      EXPECT_LT(index, reports.size());
      EXPECT_TRUE(reports.at(index).status.ok()) << "message " << index << " reported twice";
      reports.at(index) = std::move(report);
    }
    return reports;
  }

  // A message viewing strings the fixture keeps.
  OutgoingMessage message(const std::string& topic, std::string key, std::string value) {
    OutgoingMessage m;
    m.topic = storage_.emplace_back(topic);
    m.key = storage_.emplace_back(std::move(key));
    m.value = storage_.emplace_back(std::move(value));
    return m;
  }

  std::deque<std::string> storage_;
  KafkaCluster kafka_;
  testing::CoroutineThread thread_;
};

TEST_F(ProducerTest, EveryMessageArrivesWithItsKeyHeadersAndNullValue) {
  kafka_.create_topic("customers", 2);
  auto producer = make({{"enable.idempotence", "true"}});
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 500; ++i) {
    batch.push_back(message("customers", "c" + std::to_string(i % 10), std::to_string(i)));
  }
  batch[7].headers = {{"_table", "public.customers"}, {"_lsn", "0/16B3748"}};
  batch[9].value.reset();  // a tombstone
  const auto results = send(*producer, std::move(batch));
  ASSERT_EQ(results.size(), 500u);
  for (const auto& r : results) EXPECT_TRUE(r.status.ok()) << r.status.error().message();

  const auto arrived = kafka_.consume("customers", 500);
  ASSERT_EQ(arrived.size(), 500u);
  int tombstones = 0;
  bool saw_headers = false;
  for (const auto& m : arrived) {
    if (!m.value) {
      ++tombstones;
      EXPECT_EQ(m.key, "c9");
    }
    if (!m.headers.empty()) {
      saw_headers = true;
      EXPECT_EQ(m.headers, (std::vector<std::pair<std::string, std::string>>{
                               {"_table", "public.customers"}, {"_lsn", "0/16B3748"}}));
      EXPECT_EQ(m.value, "7");
    }
  }
  EXPECT_EQ(tombstones, 1);
  EXPECT_TRUE(saw_headers);
}

TEST_F(ProducerTest, AFullLocalQueueWaitsInsteadOfFailing) {
  auto producer = make({{"queue.buffering.max.messages", "10"}});
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(message("small", "k", std::to_string(i)));
  const auto results = send(*producer, std::move(batch));
  for (const auto& r : results) ASSERT_TRUE(r.status.ok()) << r.status.error().message();
  const auto arrived = kafka_.consume("small", 300);
  ASSERT_EQ(arrived.size(), 300u);
  for (std::size_t i = 0; i < arrived.size(); ++i) {
    EXPECT_EQ(arrived[i].value, std::to_string(i)) << "one key, one partition: in order";
  }
}

// Messages without headers for one topic are handed over together; the lot must behave as if
// handed one by one: topics switching, a message with headers between, a message too large
// for the broker inside a run, and a local queue that fills part-way through.
TEST_F(ProducerTest, MixedTopicsHeadersAndARefusedMessageKeepTheirOrderThroughAFullQueue) {
  kafka_.create_topic("orders", 1);
  kafka_.create_topic("audit", 1);
  auto producer = make({{"queue.buffering.max.messages", "7"}, {"message.max.bytes", "2000"}});
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 200; ++i) {
    batch.push_back(message(i % 50 < 30 ? "orders" : "audit", "k", std::to_string(i)));
  }
  batch[15].headers = {{"_row", "15"}};
  batch[42].value = storage_.emplace_back(5000, 'x');  // over message.max.bytes
  const auto results = send(*producer, std::move(batch));
  ASSERT_EQ(results.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    if (i == 42) continue;
    ASSERT_TRUE(results[i].status.ok()) << i << ": " << results[i].status.error().message();
  }
  ASSERT_FALSE(results[42].status.ok());
  EXPECT_FALSE(results[42].status.error().retryable()) << results[42].status.error().message();
  EXPECT_EQ(results[42].code, "MSG_SIZE_TOO_LARGE");

  std::vector<std::string> want_orders, want_audit;
  for (int i = 0; i < 200; ++i) {
    if (i != 42) (i % 50 < 30 ? want_orders : want_audit).push_back(std::to_string(i));
  }
  const auto values = [](const auto& arrived) {
    std::vector<std::string> v;
    for (const auto& m : arrived) v.push_back(m.value.value_or("<null>"));
    return v;
  };
  const auto orders = kafka_.consume("orders", want_orders.size());
  EXPECT_EQ(values(orders), want_orders);
  EXPECT_EQ(values(kafka_.consume("audit", want_audit.size())), want_audit);
  ASSERT_GT(orders.size(), 15u);
  EXPECT_EQ(orders[15].headers, (std::vector<std::pair<std::string, std::string>>{{"_row", "15"}}));
}

TEST_F(ProducerTest, MessagesNotConfirmedWhileTheBrokerIsDownAreRetryable) {
  kafka_.create_topic("events", 1);
  auto producer = make({{"message.timeout.ms", "1000"},
                        {"reconnect.backoff.ms", "20"},
                        {"reconnect.backoff.max.ms", "100"}});
  kafka_.set_broker_down(1);
  const auto down = send(*producer, {message("events", "k", "a"), message("events", "k", "b")});
  ASSERT_EQ(down.size(), 2u);
  for (const auto& report : down) {
    const Status& s = report.status;
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(report.code, "_MSG_TIMED_OUT");
    EXPECT_TRUE(s.error().retryable()) << s.error().message();
    EXPECT_NE(s.error().message().find("kafka topic events"), std::string::npos)
        << s.error().message();
  }
  kafka_.set_broker_up(1);
  // As the runtime does with a retryable error: send again. Reconnecting may take a moment.
  std::vector<DeliveryReport> up;
  for (int attempt = 0; attempt < 10; ++attempt) {
    up = send(*producer, {message("events", "k", "a")});
    if (up[0].status.ok()) break;
  }
  EXPECT_TRUE(up[0].status.ok()) << up[0].status.error().message();
}

TEST_F(ProducerTest, ARefusedMessageIsAPermanentErrorAndTheProducerGoesOn) {
  kafka_.create_topic("payments", 1);
  auto producer = make();
  ASSERT_TRUE(send(*producer, {message("payments", "k", "warm-up")})[0].status.ok());
  kafka_.push_request_errors(0, {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED});
  const auto refused = send(*producer, {message("payments", "k", "refused")});
  ASSERT_FALSE(refused[0].status.ok());
  EXPECT_FALSE(refused[0].status.error().retryable()) << refused[0].status.error().message();
  EXPECT_EQ(refused[0].code, "TOPIC_AUTHORIZATION_FAILED");
  // librdkafka remembers a topic's authorization failure until its next metadata refresh;
  // other topics are unaffected.
  const auto after = send(*producer, {message("receipts", "k", "after")});
  ASSERT_TRUE(after[0].status.ok()) << after[0].status.error().message();
  // Asks for two, so it reads until the timeout: the consumer must have time to see a second.
  const auto payments = kafka_.consume("payments", 2, std::chrono::seconds(10));
  ASSERT_EQ(payments.size(), 1u) << "the refused message is not there";
  EXPECT_EQ(payments[0].value, "warm-up");
  EXPECT_EQ(kafka_.consume("receipts", 1).size(), 1u);
}

TEST_F(ProducerTest, AnUnknownPropertyIsAConfigurationErrorNamingIt) {
  auto producer = Producer::create(thread_.executor(), {{"bootstrap.servers", kafka_.bootstrap()},
                                                        {"no.such.setting", "1"}});
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(producer.error().message().find("no.such.setting"), std::string::npos)
      << producer.error().message();
}

TEST_F(ProducerTest, ClosingPurgesWhatTheBrokerNeverConfirmedAsRetryable) {
  kafka_.create_topic("late", 1);
  auto producer = make({{"message.timeout.ms", "60000"}});
  kafka_.set_broker_down(1);
  std::vector<DeliveryReport> results;
  std::thread sender([&] { results = send(*producer, {message("late", "k", "x")}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the message is queued
  producer->close(std::chrono::milliseconds(100));
  sender.join();
  ASSERT_EQ(results.size(), 1u);
  ASSERT_FALSE(results[0].status.ok());
  EXPECT_TRUE(results[0].status.error().retryable()) << results[0].status.error().message();
}

TEST_F(ProducerTest, ACancelledSendCountsNothingAsDelivered) {
  namespace asio = boost::asio;
  kafka_.create_topic("late", 1);
  auto producer = make({{"message.timeout.ms", "60000"}});
  kafka_.set_broker_down(1);
  asio::cancellation_signal cancel;
  auto sent = asio::co_spawn(thread_.executor(), producer->send({message("late", "k", "x")}),
                             asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the message is queued
  asio::post(thread_.executor(), [&] { cancel.emit(asio::cancellation_type::terminal); });
  const std::vector<Undelivered> undelivered = sent.get();
  ASSERT_EQ(undelivered.size(), 1u) << "the broker never confirmed it";
  EXPECT_EQ(undelivered[0].index, 0u);
  EXPECT_TRUE(undelivered[0].report.status.error().retryable());
  producer->close(std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace weft::kafka

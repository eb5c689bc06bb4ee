// The kafka source against weft-fake-kafka: what a record carries, and which offsets the group
// holds after commits, closes and rebalances.

#include "kafka/kafka_source.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "connectors/run_coroutine.h"
#include "runtime/logging.h"
#include "support/kafka_cluster.h"
#include "support/registry_sample.h"

namespace weft::kafka {
namespace {

using namespace std::chrono_literals;
using test::KafkaCluster;
using Message = KafkaCluster::Message;

Message message(std::string key, std::string value, int partition = -1) {
  Message m;
  m.key = std::move(key);
  m.value = std::move(value);
  m.partition = partition;
  return m;
}

// Messages "0".."count-1" with values {"n": i}, alternating over `partitions` partitions.
std::vector<Message> numbered(int count, int partitions) {
  std::vector<Message> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(message(std::to_string(i), R"({"n":)" + std::to_string(i) + "}",
                          i % partitions));
  }
  return out;
}

class KafkaSourceTest : public ::testing::Test {
 protected:
  KafkaSourceConfig config(std::vector<std::string> topics, const std::string& group) {
    KafkaSourceConfig c;
    c.client.brokers = {kafka_.bootstrap()};
    c.topics = std::move(topics);
    c.group = group;
    // The mock cluster waits up to a session timeout for members after one leaves.
    c.client.librdkafka = {{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "500"}};
    return c;
  }

  std::unique_ptr<Source> make(KafkaSourceConfig c, testing::CoroutineThread& thread) {
    ConnectorContext ctx;
    ctx.pipeline = "demo";
    ctx.connector = "kafka";
    ctx.logger = make_logger("demo/kafka");
    ctx.metrics = &metrics_;
    auto source = make_kafka_source(std::move(c), ctx);
    const Status connected = thread.run(source->connect(std::nullopt));
    EXPECT_TRUE(connected.ok()) << connected.error().message();
    return source;
  }

  // Reads until `count` records arrived or `timeout` passed.
  Batch read(Source& source, std::size_t count, testing::CoroutineThread& thread,
             std::chrono::seconds timeout = 30s) {
    Batch out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      Result<Batch> batch = thread.run(source.read_batch(count - out.size()));
      EXPECT_TRUE(batch.ok()) << batch.error().message();
      if (!batch.ok()) break;
      for (Record& r : *batch) out.push_back(std::move(r));
    }
    return out;
  }

  double sample(const std::string& name, const std::map<std::string, std::string>& labels) {
    return test::registry_sample(metrics_, name, labels).value_or(-1);
  }

  prometheus::Registry metrics_;
  KafkaCluster kafka_;
  testing::CoroutineThread thread_;
};

TEST_F(KafkaSourceTest, ARecordCarriesKeyValueHeadersTimestampAndPosition) {
  kafka_.create_topic("orders", 1);
  Message first = message("order-1", R"({"id": 1, "total": 9.5})");
  first.headers = {{"trace", "abc"}, {"event_id", "e-1"}};
  Message tombstone;
  tombstone.key = "order-2";
  const auto before = Clock::now() - 1s;
  kafka_.produce("orders", {first, message("order-3", "not json"), tombstone});

  auto source = make(config({"orders"}, "g1"), thread_);
  Batch batch = read(*source, 3, thread_);
  ASSERT_EQ(batch.size(), 3u);

  const Record& r = batch[0];
  EXPECT_EQ(r.key, "order-1");
  EXPECT_EQ(r.value.json(), nlohmann::json::parse(R"({"id": 1, "total": 9.5})"));
  EXPECT_EQ(r.op, Operation::kNone);
  EXPECT_EQ(r.headers.at("trace"), "abc");
  EXPECT_EQ(r.headers.at("event_id"), "e-1");
  EXPECT_EQ(r.headers.at("_topic"), "orders");
  EXPECT_EQ(r.headers.at("_partition"), "0");
  EXPECT_EQ(r.headers.at("_offset"), "0");
  EXPECT_EQ(r.position, "orders/0/0");
  EXPECT_EQ(r.id, "orders/0/0") << "an id the idempotency layer can dedupe replays on";
  EXPECT_GE(r.event_time, before) << "the message timestamp";
  EXPECT_TRUE(r.rejected.empty());

  EXPECT_EQ(batch[1].value.text(), "not json") << "kept as it came, for the dead-letter queue";
  EXPECT_NE(batch[1].rejected.find("orders/0/1"), std::string::npos) << batch[1].rejected;
  EXPECT_NE(batch[1].rejected.find("invalid JSON"), std::string::npos) << batch[1].rejected;

  EXPECT_EQ(batch[2].key, "order-2");
  EXPECT_EQ(batch[2].op, Operation::kDelete) << "a tombstone deletes its key's entity";
  EXPECT_TRUE(batch[2].value.json().is_null());
  thread_.run(source->close());
}

TEST_F(KafkaSourceTest, RawFormatKeepsTheValueAsText) {
  kafka_.create_topic("logs", 1);
  kafka_.produce("logs", {message("k", "GET /index.html 200"), message("k", "\xff\xfe")});
  KafkaSourceConfig c = config({"logs"}, "g1");
  c.format = ValueFormat::kRaw;
  auto source = make(std::move(c), thread_);
  Batch batch = read(*source, 2, thread_);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].value.json(), "GET /index.html 200");
  EXPECT_NE(batch[1].rejected.find("not UTF-8"), std::string::npos) << batch[1].rejected;
  thread_.run(source->close());
}

TEST_F(KafkaSourceTest, TheGroupResumesAfterWhatThePipelineSettledAndNothingElse) {
  kafka_.create_topic("orders", 2);
  kafka_.produce("orders", numbered(10, 2));

  std::vector<std::string> settled;
  {
    auto source = make(config({"orders"}, "g1"), thread_);
    Batch batch = read(*source, 10, thread_);
    ASSERT_EQ(batch.size(), 10u);
    // The pipeline acknowledged the first six records it was given (in read order).
    for (std::size_t i = 0; i < 6; ++i) settled.push_back(batch[i].position);
    ASSERT_TRUE(thread_.run(source->commit(batch[5].position)).ok());
    thread_.run(source->close());
  }
  auto source = make(config({"orders"}, "g1"), thread_);
  Batch again = read(*source, 4, thread_);
  for (Record& r : read(*source, 10, thread_, 2s)) again.push_back(std::move(r));  // no more
  std::set<std::string> replayed;
  for (const Record& r : again) replayed.insert(r.position);
  EXPECT_EQ(replayed.size(), 4u) << "exactly the records not settled are read again";
  for (const auto& position : settled) EXPECT_FALSE(replayed.contains(position)) << position;
  thread_.run(source->close());
}

TEST_F(KafkaSourceTest, WithoutASettledRecordEverythingIsReadAgain) {
  kafka_.create_topic("orders", 2);
  kafka_.produce("orders", numbered(6, 2));
  {
    auto source = make(config({"orders"}, "g1"), thread_);
    ASSERT_EQ(read(*source, 6, thread_).size(), 6u);
    thread_.run(source->close());  // the pipeline never acknowledged anything
  }
  auto source = make(config({"orders"}, "g1"), thread_);
  EXPECT_EQ(read(*source, 6, thread_).size(), 6u);
  thread_.run(source->close());
}

TEST_F(KafkaSourceTest, TopicPatternsReadEveryMatchingTopic) {
  kafka_.create_topic("customers.eu", 1);
  kafka_.create_topic("customers.us", 1);
  kafka_.create_topic("orders", 1);
  kafka_.produce("customers.eu", {message("1", "{}")});
  kafka_.produce("customers.us", {message("2", "{}")});
  kafka_.produce("orders", {message("3", "{}")});
  auto source = make(config({"^customers\\..*"}, "g1"), thread_);
  Batch batch = read(*source, 2, thread_);
  for (Record& r : read(*source, 10, thread_, 2s)) batch.push_back(std::move(r));  // no more
  std::set<std::string> topics;
  for (const Record& r : batch) topics.insert(r.headers.at("_topic"));
  EXPECT_EQ(topics, (std::set<std::string>{"customers.eu", "customers.us"}));
  EXPECT_EQ(batch.size(), 2u);
  thread_.run(source->close());
}

TEST_F(KafkaSourceTest, TwoMembersOfAGroupSplitThePartitionsAndSkipNothing) {
  kafka_.create_topic("orders", 4);
  std::vector<Message> messages = numbered(80, 4);
  kafka_.produce("orders", {messages.begin(), messages.begin() + 40});

  testing::CoroutineThread other_thread;
  auto first = make(config({"orders"}, "shared"), thread_);
  Batch first_reads = read(*first, 40, thread_);
  ASSERT_EQ(first_reads.size(), 40u);
  ASSERT_TRUE(thread_.run(first->commit(first_reads[19].position)).ok());
  std::set<std::string> delivered;
  for (std::size_t i = 0; i < 20; ++i) delivered.insert(first_reads[i].position);

  // A second member joins, and more messages arrive on every partition; the first member
  // takes part in the rebalance by reading on.
  auto second = make(config({"orders"}, "shared"), other_thread);
  kafka_.produce("orders", {messages.begin() + 40, messages.end()});
  std::set<std::string> second_reads;
  std::set<std::string> first_rereads;
  const auto all_read = [&] {
    std::set<std::string> all = delivered;
    all.insert(second_reads.begin(), second_reads.end());
    all.insert(first_rereads.begin(), first_rereads.end());
    return all.size() == 80;
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!all_read() || second_reads.empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "second member read " << second_reads.size() << ", first re-read "
        << first_rereads.size();
    for (const Record& r : read(*first, 80, thread_, 1s)) first_rereads.insert(r.position);
    for (const Record& r : read(*second, 80, other_thread, 1s)) second_reads.insert(r.position);
  }
  for (const auto& position : second_reads) {
    EXPECT_FALSE(delivered.contains(position)) << position << ": settled, then read again";
  }
  EXPECT_GE(sample("weft_kafka_rebalances_total", {{"event", "revoked"}}), 1);
  EXPECT_GE(sample("weft_kafka_rebalances_total", {{"event", "assigned"}}), 2);
  thread_.run(first->close());
  other_thread.run(second->close());
}

TEST_F(KafkaSourceTest, LagCountsTheMessagesNotYetRead) {
  kafka_.create_topic("orders", 1);
  kafka_.produce("orders", numbered(10, 1));
  auto source = make(config({"orders"}, "g1"), thread_);
  ASSERT_EQ(read(*source, 4, thread_).size(), 4u);
  // The gauge is refreshed at most once a second, on a read.
  double lag = -1;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (lag != 6 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(thread_.run(source->read_batch(0)).ok());
    lag = sample("weft_kafka_consumer_lag", {{"topic", "orders"}, {"partition", "0"}});
  }
  EXPECT_EQ(lag, 6);
  auto backlog = source->backlog();
  ASSERT_TRUE(backlog.has_value()) << "the freshness SLO's source_active reads it";
  EXPECT_EQ(backlog->pending, 6u);
  thread_.run(source->close());
}

}  // namespace
}  // namespace weft::kafka

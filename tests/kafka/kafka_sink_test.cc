// The kafka sink against weft-fake-kafka: records in, messages out, exactly as configured.

#include "kafka/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

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

using test::KafkaCluster;

RecordTemplate parse(const std::string& text) {
  auto parsed = RecordTemplate::parse(text);
  EXPECT_TRUE(parsed.ok());
  return std::move(*parsed);
}

Record record(const std::string& key, Operation op, const std::string& value,
              const std::string& table) {
  Record r;
  r.key = key;
  r.op = op;
  r.value = Payload::from_text(value);
  r.headers.set("table", table);
  r.headers.set("_lsn", "0/1");
  return r;
}

class KafkaSinkTest : public ::testing::Test {
 protected:
  KafkaSinkConfig config(const std::string& topic) {
    KafkaSinkConfig c;
    c.client.brokers = {kafka_.bootstrap()};
    c.topic = parse(topic);
    c.client.librdkafka = {{"message.timeout.ms", "1500"}};
    return c;
  }

  std::unique_ptr<Sink> make(KafkaSinkConfig c) {
    ConnectorContext ctx;
    ctx.pipeline = "demo";
    ctx.connector = "kafka";
    ctx.logger = make_logger("demo/kafka");
    ctx.metrics = &metrics_;
    auto sink = make_kafka_sink(std::move(c), ctx);
    EXPECT_TRUE(thread_.run(sink->connect()).ok());
    return sink;
  }

  WriteResult write(Sink& sink, const Batch& batch) { return thread_.run(sink.write_batch(batch)); }

  double sample(const std::string& name, const std::map<std::string, std::string>& labels) {
    return test::registry_sample(metrics_, name, labels).value_or(0);
  }

  prometheus::Registry metrics_;
  KafkaCluster kafka_;
  testing::CoroutineThread thread_;
};

// The producer is kept busy by records, not batches: small batches get more of them in flight.
TEST(KafkaSinkWindow, BatchesInFlightHoldAbout16000RecordsUnlessSet) {
  const auto window = [](std::size_t batch_max_records, std::size_t batches_in_flight) {
    KafkaSinkConfig c;
    c.topic = parse("t");
    c.batches_in_flight = batches_in_flight;
    ConnectorContext ctx;
    ctx.logger = make_logger("demo/kafka");
    ctx.batch_max_records = batch_max_records;
    return make_kafka_sink(std::move(c), ctx)->max_concurrent_writes();
  };
  EXPECT_EQ(window(1000, 0), 16u);    // the default batch size
  EXPECT_EQ(window(4000, 0), 4u);
  EXPECT_EQ(window(3000, 0), 6u);     // rounded up
  EXPECT_EQ(window(100, 0), 64u);     // at most 64
  EXPECT_EQ(window(10000, 0), 2u);    // at least 2: one produced while one is confirmed
  EXPECT_EQ(window(100000, 0), 2u);
  EXPECT_EQ(window(0, 0), 4u);        // no pipeline to ask
  EXPECT_EQ(window(1000, 1), 1u);     // set: as set
  EXPECT_EQ(window(10000, 16), 16u);
}

TEST_F(KafkaSinkTest, TopicKeyHeadersAndTombstonesComeFromTheRecord) {
  KafkaSinkConfig c = config("db.{table}");
  c.headers = {"_lsn"};
  c.tombstones = true;
  auto sink = make(std::move(c));
  Batch batch;
  batch.push_back(record("1", Operation::kCreate, R"({"id":1})", "customers"));
  batch.push_back(record("2", Operation::kCreate, R"({"id":2})", "orders"));
  batch.push_back(record("1", Operation::kDelete, R"({"id":1})", "customers"));
  const WriteResult result = write(*sink, batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  thread_.run(sink->close());

  const auto customers = kafka_.consume("db.customers", 2);
  ASSERT_EQ(customers.size(), 2u);
  EXPECT_EQ(customers[0].key, "1");
  EXPECT_EQ(customers[0].value, R"({"id":1})");
  EXPECT_EQ(customers[0].headers,
            (std::vector<std::pair<std::string, std::string>>{{"_lsn", "0/1"}}))
      << "only the headers asked for";
  EXPECT_EQ(customers[1].key, "1");
  EXPECT_EQ(customers[1].value, std::nullopt) << "a delete is a tombstone";
  const auto orders = kafka_.consume("db.orders", 1);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].value, R"({"id":2})");
  EXPECT_EQ(sample("weft_kafka_produce_seconds", {{"pipeline", "demo"}}), 1) << "one batch";
}

TEST_F(KafkaSinkTest, AKeyTemplateAndARecordTheTemplateCannotRenderFailsAlone) {
  KafkaSinkConfig c = config("events");
  c.key = parse("$.customer");
  auto sink = make(std::move(c));
  Batch batch;
  batch.push_back(record("a", Operation::kCreate, R"({"customer":"c-7"})", "t"));
  batch.push_back(record("b", Operation::kCreate, R"({"other":1})", "t"));
  const WriteResult result = write(*sink, batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].index, 1u);
  EXPECT_FALSE(result.failures[0].error.retryable());
  EXPECT_NE(result.failures[0].error.message().find("key:"), std::string::npos)
      << result.failures[0].error.message();
  const auto events = kafka_.consume("events", 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "c-7");
}

TEST_F(KafkaSinkTest, ABrokerOutageFailsTheWholeBatchRetryably) {
  kafka_.create_topic("out", 1);
  auto sink = make(config("out"));
  kafka_.set_broker_down(1);
  Batch batch;
  batch.push_back(record("1", Operation::kCreate, "{}", "t"));
  batch.push_back(record("2", Operation::kCreate, "{}", "t"));
  const WriteResult result = write(*sink, batch);
  ASSERT_FALSE(result.status.ok());
  EXPECT_TRUE(result.status.error().retryable()) << "the breaker counts it";
  EXPECT_NE(result.status.error().message().find("no message of the batch was confirmed"),
            std::string::npos)
      << result.status.error().message();
  EXPECT_EQ(sample("weft_kafka_delivery_errors_total",
                   {{"pipeline", "demo"}, {"code", "_MSG_TIMED_OUT"}}),
            2);
}

// An idempotent producer that loses its sequence with a broker stops for good (librdkafka's
// fatal error); the sink replaces it and the records are delivered on the next attempt.
TEST_F(KafkaSinkTest, AProducerStoppedByAFatalErrorIsReplacedAndNothingIsLost) {
  const auto delivered = [](const WriteResult& r) { return r.status.ok() && r.failures.empty(); };
  kafka_.create_topic("out", 1);
  auto sink = make(config("out"));
  Batch first;
  first.push_back(record("1", Operation::kCreate, R"({"n":1})", "t"));
  ASSERT_TRUE(delivered(write(*sink, first)));

  kafka_.push_request_errors(0, {RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER});
  Batch second;
  second.push_back(record("2", Operation::kCreate, R"({"n":2})", "t"));
  second.push_back(record("3", Operation::kCreate, R"({"n":3})", "t"));
  const WriteResult failed = write(*sink, second);
  ASSERT_FALSE(delivered(failed));
  for (const auto& f : failed.failures) EXPECT_TRUE(f.error.retryable()) << f.error.message();
  if (!failed.status.ok()) {
    EXPECT_TRUE(failed.status.error().retryable()) << failed.status.error().message();
  }

  // As the runtime does: the same records again. The stopped producer would refuse them all.
  const WriteResult again = write(*sink, second);
  EXPECT_TRUE(delivered(again)) << (again.status.ok() ? "" : again.status.error().message());
  std::set<std::string> arrived;
  for (const auto& m : kafka_.consume("out", 3)) arrived.insert(m.value.value_or(""));
  EXPECT_EQ(arrived, (std::set<std::string>{R"({"n":1})", R"({"n":2})", R"({"n":3})"}));
}

}  // namespace
}  // namespace weft::kafka

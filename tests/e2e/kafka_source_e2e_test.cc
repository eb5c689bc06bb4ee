// The kafka source in the real weft binary (with the `fault` test sink) against weft-fake-kafka:
// offsets are committed only after the sink acknowledged, so kill -9 loses nothing; two daemons
// in one consumer group share the partitions; replays and bad messages are handled by the
// idempotency layer and the dead-letter queue.

#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>

#include "e2e/e2e_helpers.h"
#include "e2e/fault_sink_output.h"
#include "e2e/weft_process.h"
#include "support/http_client.h"
#include "support/kafka_cluster.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using Message = KafkaCluster::Message;

// Messages with keys first..first+count-1 and values {"n": key}, spread by key.
std::vector<Message> numbered(int first, int count) {
  std::vector<Message> out;
  for (int i = first; i < first + count; ++i) {
    Message m;
    m.key = std::to_string(i);
    m.value = R"({"n":)" + std::to_string(i) + "}";
    out.push_back(std::move(m));
  }
  return out;
}

// A daemon directory with one pipeline, `orders`: kafka (group `group`) -> fault sink.
class Daemon {
 public:
  Daemon(const KafkaCluster& kafka, const std::string& group, const std::string& extra = "") {
    dir_.write("config/weft.yaml",
               "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
               "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n");
    // The mock cluster waits up to a session timeout for the members of a group to rejoin.
    dir_.write("pipelines/orders.yaml",
               "name: orders\nsource:\n  type: kafka\n  brokers: [" + kafka.bootstrap() +
                   "]\n  topics: [orders]\n  group: " + group +
                   "\n  librdkafka: {session.timeout.ms: \"3000\", heartbeat.interval.ms: "
                   "\"500\"}\nsink: {type: fault, path: " + dir_.file("out.jsonl") +
                   ", control: " + dir_.file("control.json") +
                   "}\ncheckpoint: {interval: 100ms}\nbatch: {max_records: 100}\n" + extra);
    control("{}");
  }

  void control(const std::string& json) {
    // Written whole and renamed, so the sink never reads half a file.
    dir_.write("control.tmp", json);
    std::filesystem::rename(dir_.file("control.tmp"), dir_.file("control.json"));
  }

  std::unique_ptr<WeftProcess> start(const std::string& log) {
    return std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", dir_.file("config/weft.yaml")},
        dir_.file(log), fault_daemon_binary());
  }

  std::map<std::string, int> delivered() const { return delivered_keys(dir_.file("out.jsonl")); }
  std::size_t failed_writes() const { return failed_calls(dir_.file("out.jsonl.calls")); }

 private:
  TempDir dir_;
};

// The keys first..first+count-1 that `delivered` lacks, for failure messages.
std::string missing(const std::map<std::string, int>& delivered, int first, int count) {
  std::string out;
  for (int i = first; i < first + count; ++i) {
    if (!delivered.contains(std::to_string(i))) out += " " + std::to_string(i);
  }
  return out.empty() ? "none" : out;
}

// How many lines of `text` contain `needle`.
int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(KafkaSourceE2E, KillNineBeforeTheSinkAcknowledgesAndTheRecordsAreReadAgain) {
  KafkaCluster kafka;
  kafka.create_topic("orders", 2);
  kafka.produce("orders", numbered(0, 300));
  Daemon daemon(kafka, "weft");
  daemon.control(R"({"down": true})");
  {
    auto weft = daemon.start("run1.log");
    // The records were read and offered to the sink, which refused them.
    ASSERT_TRUE(eventually([&] { return daemon.failed_writes() >= 3; }, 60s)) << weft->output();
    weft->signal(SIGKILL);
    weft->wait(10s);
  }
  ASSERT_TRUE(daemon.delivered().empty());

  daemon.control("{}");
  auto weft = daemon.start("run2.log");
  ASSERT_TRUE(eventually([&] { return daemon.delivered().size() == 300; }, 60s))
      << daemon.delivered().size() << " of 300 delivered\n" << weft->output();

  // Then kill -9 in the middle of a stream with the sink up: nothing goes missing.
  daemon.control(R"({"delay_ms": 20})");
  kafka.produce("orders", numbered(300, 3000));
  ASSERT_TRUE(eventually([&] { return daemon.delivered().size() >= 800; }, 60s))
      << weft->output();
  weft->signal(SIGKILL);
  weft->wait(10s);
  const std::size_t at_kill = daemon.delivered().size();
  daemon.control("{}");
  weft = daemon.start("run3.log");
  ASSERT_TRUE(eventually([&] { return daemon.delivered().size() == 3300; }, 90s))
      << daemon.delivered().size() << " of 3300 delivered (" << at_kill
      << " at the kill); missing:" << missing(daemon.delivered(), 0, 3300) << "\n"
      << weft->output();
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(20s), 0) << weft->output();
}

TEST(KafkaSourceE2E, TwoDaemonsInOneGroupShareThePartitions) {
  KafkaCluster kafka;
  kafka.create_topic("orders", 4);
  Daemon first(kafka, "shared");
  Daemon second(kafka, "shared");
  auto one = first.start("run.log");
  ASSERT_TRUE(eventually([&] { return count_of(one->output(), "assigned orders/") >= 1; }, 60s))
      << one->output();
  auto two = second.start("run.log");
  // The second member joins: the first gives up its partitions and takes back its share.
  ASSERT_TRUE(eventually(
      [&] {
        return count_of(two->output(), "assigned orders/") >= 1 &&
               count_of(one->output(), "assigned orders/") >= 2;
      },
      60s))
      << one->output() << "\n---\n" << two->output();

  kafka.produce("orders", numbered(0, 2000));
  const auto delivered_once = [&] {
    std::map<std::string, int> all = first.delivered();
    for (const auto& [key, n] : second.delivered()) all[key] += n;
    return all;
  };
  ASSERT_TRUE(eventually([&] { return delivered_once().size() == 2000; }, 60s))
      << delivered_once().size() << " of 2000\n" << one->output() << "\n---\n" << two->output();
  EXPECT_GT(first.delivered().size(), 0u);
  EXPECT_GT(second.delivered().size(), 0u);
  for (const auto& [key, n] : delivered_once()) {
    EXPECT_EQ(n, 1) << "message " << key << " delivered by both members";
  }
  one->signal(SIGTERM);
  two->signal(SIGTERM);
  EXPECT_EQ(one->wait(20s), 0) << one->output();
  EXPECT_EQ(two->wait(20s), 0) << two->output();
}

TEST(KafkaSourceE2E, ABrokerOutageShowsInReadyzAndReadingResumesAfterIt) {
  KafkaCluster kafka;
  kafka.create_topic("orders", 1);
  kafka.produce("orders", numbered(0, 100));
  Daemon daemon(kafka, "weft");
  auto weft = daemon.start("run.log");
  const unsigned short admin = weft->admin_port(30s).value_or(0);
  ASSERT_NE(admin, 0) << weft->output();
  ASSERT_TRUE(eventually([&] { return daemon.delivered().size() == 100; }, 60s))
      << weft->output();

  kafka.set_broker_down(1);
  HttpResponse ready;
  ASSERT_TRUE(eventually(
      [&] {
        ready = http_get("127.0.0.1", admin, "/readyz");
        return ready.status == 503 && ready.body.find("kafka") != std::string::npos;
      },
      60s))
      << ready.status << " " << ready.body << "\n" << weft->output();

  kafka.set_broker_up(1);
  kafka.produce("orders", numbered(100, 100));
  ASSERT_TRUE(eventually([&] { return daemon.delivered().size() == 200; }, 60s))
      << daemon.delivered().size() << " of 200\n" << weft->output();
  ASSERT_TRUE(eventually([&] { return http_get("127.0.0.1", admin, "/readyz").status == 200; }))
      << http_get("127.0.0.1", admin, "/readyz").body;
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(20s), 0) << weft->output();
}

TEST(KafkaSourceE2E, ARepeatedEventIsDeliveredOnceAndABadMessageIsDeadLettered) {
  KafkaCluster kafka;
  kafka.create_topic("orders", 1);
  const auto event = [](const std::string& key, const std::string& value, const std::string& id) {
    Message m;
    m.key = key;
    m.value = value;
    m.headers = {{"event_id", id}};
    return m;
  };
  kafka.produce("orders", {event("a", R"({"n":1})", "e-1"), event("b", R"({"n":2})", "e-2"),
                           event("a-again", R"({"n":1})", "e-1"),
                           event("c", "{not json", "e-3")});
  Daemon daemon(kafka, "weft", "idempotency: {key: \"{headers.event_id}\"}\n");
  auto weft = daemon.start("run.log");
  const unsigned short admin = weft->admin_port(30s).value_or(0);
  ASSERT_NE(admin, 0) << weft->output();
  std::string metrics;
  ASSERT_TRUE(eventually(
      [&] {
        metrics = http_get("127.0.0.1", admin, "/metrics").body;
        return sample(metrics, "weft_records_dead_lettered_total{pipeline=\"orders\","
                               "stage=\"source\"}")
                   .value_or(0) == 1 &&
               sample(metrics, "weft_records_duplicate_total{pipeline=\"orders\"}").value_or(0) ==
                   1;
      },
      60s))
      << metrics << "\n" << weft->output();
  const std::map<std::string, int> once{{"a", 1}, {"b", 1}};
  EXPECT_TRUE(eventually([&] { return daemon.delivered() == once; }))
      << "delivered " << daemon.delivered().size() << " distinct keys";
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(20s), 0) << weft->output();
}

}  // namespace
}  // namespace weft::test

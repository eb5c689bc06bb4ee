// The kafka sink in the real weft binary against weft-fake-kafka: kill -9 while producing, then
// count what the topic holds.

#include <signal.h>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "e2e/e2e_helpers.h"
#include "e2e/saved_checkpoint.h"
#include "e2e/weft_process.h"
#include "support/http_client.h"
#include "support/kafka_cluster.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

constexpr int kRecords = 20000;

std::uint64_t checkpoint_number(const TempDir& dir) {
  const std::string saved = saved_checkpoint(dir.file("data/weft.db"), "numbers");
  return saved.empty() ? 0 : std::stoull(saved);  // generate's position: the record number
}

// The daemon directory: config/weft.yaml and pipelines/numbers.yaml, generate -> kafka.
void write_daemon(const TempDir& dir, const KafkaCluster& kafka, int rate, int count,
                  const std::string& extra) {
  dir.write("config/weft.yaml",
            "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
            "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n");
  dir.write("pipelines/numbers.yaml",
            "name: numbers\nsource:\n  type: generate\n  rate: " + std::to_string(rate) +
                "\n  count: " + std::to_string(count) + "\nsink:\n  type: kafka\n  brokers: [" +
                kafka.bootstrap() + "]\n  topic: numbers\n" + extra +
                "checkpoint:\n  interval: 200ms\n");
}

// id -> how many times the topic holds it. Reads until the timeout: asks for more than can be
// there.
std::map<int, int> ids_in_topic(const KafkaCluster& kafka, int count) {
  std::map<int, int> seen;
  for (const auto& m : kafka.consume("numbers", 2 * static_cast<std::size_t>(count), 20s)) {
    if (!m.value) continue;
    const auto value = nlohmann::json::parse(*m.value);
    ++seen[value.at("id").get<int>()];
    EXPECT_EQ(m.key, std::to_string(value.at("id").get<int>())) << "the record's key";
  }
  return seen;
}

TEST(KafkaE2E, KillNineWhileProducingLosesNothingAndRepeatsOnlyWhatFollowsTheCheckpoint) {
  KafkaCluster kafka;
  kafka.create_topic("numbers", 2);
  TempDir dir;
  write_daemon(dir, kafka, 5000, kRecords, "");
  const std::vector<std::string> run = {"run", "--config", dir.file("config/weft.yaml")};

  std::uint64_t at_kill = 0;
  {
    WeftProcess weft(run, dir.file("run1.log"));
    ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) >= kRecords / 4; }, 60s))
        << weft.output();
    weft.signal(SIGKILL);
    weft.wait(10s);
    at_kill = checkpoint_number(dir);
  }
  ASSERT_LT(at_kill, static_cast<std::uint64_t>(kRecords)) << "killed before the end";
  {
    WeftProcess weft(run, dir.file("run2.log"));
    ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) == kRecords; }, 120s))
        << weft.output();
    weft.signal(SIGTERM);
    weft.wait(20s);
  }

  std::map<int, int> seen = ids_in_topic(kafka, kRecords);
  for (int id = 1; id <= kRecords; ++id) {
    ASSERT_GE(seen[id], 1) << "record " << id << " was lost (checkpoint at the kill: " << at_kill
                           << ")";
    if (static_cast<std::uint64_t>(id) <= at_kill) {
      EXPECT_EQ(seen[id], 1) << "record " << id << " was covered by the checkpoint, yet repeated";
    }
  }
}

TEST(KafkaE2E, OneKeysMessagesKeepTheirOrderAcrossBatchesInFlight) {
  constexpr int kCount = 20000;
  KafkaCluster kafka;
  kafka.create_topic("numbers", 1);
  TempDir dir;
  // Small batches, many in flight at once (32: as many as hold 16,000 records), one key.
  write_daemon(dir, kafka, 0, kCount, "  key: same\nbatch:\n  max_records: 500\n");
  WeftProcess weft({"run", "--config", dir.file("config/weft.yaml")}, dir.file("run.log"));
  ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) == kCount; }, 120s))
      << weft.output();
  weft.signal(SIGTERM);
  ASSERT_EQ(weft.wait(20s), 0) << weft.output();
  const auto messages = kafka.consume("numbers", kCount);
  ASSERT_EQ(messages.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(nlohmann::json::parse(*messages[static_cast<std::size_t>(i)].value).at("id"), i + 1)
        << "message " << i << " of the key is out of order";
  }
}

TEST(KafkaE2E, ABrokerOutageOpensTheBreakerPausesTheSourceAndLosesNothing) {
  constexpr int kCount = 8000;
  KafkaCluster kafka;
  kafka.create_topic("numbers", 1);
  TempDir dir;
  write_daemon(dir, kafka, 2000, kCount,
               "  librdkafka: {message.timeout.ms: \"1000\", reconnect.backoff.max.ms: \"200\"}\n"
               "circuit_breaker:\n  failure_threshold: 2\n  open_for: 1s\n");
  WeftProcess weft({"run", "--config", dir.file("config/weft.yaml")}, dir.file("run.log"));
  const unsigned short admin = weft.admin_port(30s).value_or(0);
  ASSERT_NE(admin, 0) << weft.output();
  ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) >= kCount / 4; }, 60s))
      << weft.output();

  kafka.set_broker_down(1);
  HttpResponse ready;
  ASSERT_TRUE(eventually(
      [&] {
        ready = http_get("127.0.0.1", admin, "/readyz");
        return ready.status == 503 && ready.body.find("circuit breaker open") != std::string::npos;
      },
      60s))
      << ready.body << "\n" << weft.output();
  const std::uint64_t paused_at = checkpoint_number(dir);
  kafka.set_broker_up(1);

  ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) == kCount; }, 120s))
      << "stuck at " << checkpoint_number(dir) << " (paused at " << paused_at << ")\n"
      << weft.output();
  ASSERT_TRUE(eventually([&] { return http_get("127.0.0.1", admin, "/readyz").status == 200; }))
      << http_get("127.0.0.1", admin, "/readyz").body;
  const std::string metrics = http_get("127.0.0.1", admin, "/metrics").body;
  EXPECT_EQ(sample(metrics, "weft_records_dead_lettered_total{pipeline=\"numbers\",stage=\"sink\"}")
                .value_or(0),
            0)
      << "an outage dead-letters nothing";
  weft.signal(SIGTERM);
  weft.wait(20s);

  std::map<int, int> seen = ids_in_topic(kafka, kCount);
  for (int id = 1; id <= kCount; ++id) {
    ASSERT_GE(seen[id], 1) << "record " << id << " was lost in the outage";
  }
}

TEST(KafkaE2E, RefusedMessagesWaitInTheDeadLetterQueueAndAReplayDeliversThem) {
  KafkaCluster kafka;
  kafka.create_topic("numbers", 1);
  TempDir dir;
  // Endless (replays are delivered by a running pipeline). librdkafka remembers a topic's
  // authorization failure until it refreshes its metadata.
  write_daemon(dir, kafka, 1000, 0,
               "  librdkafka: {topic.metadata.refresh.interval.ms: \"500\"}\n"
               "dlq:\n  max_dlq_rate: 0\n");
  WeftProcess weft({"run", "--config", dir.file("config/weft.yaml")}, dir.file("run.log"));
  const unsigned short admin = weft.admin_port(30s).value_or(0);
  ASSERT_NE(admin, 0) << weft.output();
  ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) >= 500; }, 60s)) << weft.output();
  kafka.push_request_errors(0 /* Produce */, {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED});
  const auto pipeline = [&] {
    auto r = http_get("127.0.0.1", admin, "/api/pipelines/numbers");
    return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json::object();
  };
  const auto depth = [&] { return pipeline().value("dlq_depth", 0); };
  ASSERT_TRUE(eventually([&] { return depth() > 0; }, 60s)) << pipeline().dump();
  // Once librdkafka has fresh metadata, records go through again.
  const std::uint64_t refused_by = checkpoint_number(dir);
  ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) >= refused_by + 1000; }, 60s))
      << pipeline().dump();
  const int refused = depth();
  const std::string metrics = http_get("127.0.0.1", admin, "/metrics").body;
  EXPECT_GE(sample(metrics, "weft_kafka_delivery_errors_total{code=\"TOPIC_AUTHORIZATION_FAILED\""
                            ",pipeline=\"numbers\"}")
                .value_or(0),
            refused)
      << metrics;

  auto [code, output] = run_weft({"dlq", "replay", "--pipeline", "numbers", "--config",
                                  dir.file("config/weft.yaml")},
                                 dir.file("replay.log"));
  ASSERT_EQ(code, 0) << output;
  ASSERT_TRUE(eventually([&] { return depth() == 0; }, 60s)) << pipeline().dump();
  weft.signal(SIGTERM);
  ASSERT_EQ(weft.wait(20s), 0) << weft.output();

  const int last = static_cast<int>(checkpoint_number(dir));
  std::map<int, int> seen = ids_in_topic(kafka, last);
  for (int id = 1; id <= last; ++id) {
    ASSERT_EQ(seen[id], 1) << "record " << id << " (" << refused << " were refused)";
  }
}

}  // namespace
}  // namespace weft::test

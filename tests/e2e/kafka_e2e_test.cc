// The kafka sink in the real weft binary against weft-fake-kafka: kill -9 while producing, then
// count what the topic holds.

#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "e2e/e2e_helpers.h"
#include "e2e/saved_checkpoint.h"
#include "e2e/weft_process.h"
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

TEST(KafkaE2E, KillNineWhileProducingLosesNothingAndRepeatsOnlyWhatFollowsTheCheckpoint) {
  KafkaCluster kafka;
  kafka.create_topic("numbers", 2);
  TempDir dir;
  dir.write("config/weft.yaml",
            "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
            "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n");
  dir.write("pipelines/numbers.yaml",
            "name: numbers\nsource:\n  type: generate\n  rate: 5000\n  count: " +
                std::to_string(kRecords) + "\nsink:\n  type: kafka\n  brokers: [" +
                kafka.bootstrap() + "]\n  topic: numbers\ncheckpoint:\n  interval: 200ms\n");
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

  // Reads until the timeout: asking for more than can be there.
  const auto messages = kafka.consume("numbers", 2 * kRecords, 20s);
  std::map<int, int> seen;  // id -> times
  for (const auto& m : messages) {
    ASSERT_TRUE(m.value.has_value());
    const auto value = nlohmann::json::parse(*m.value);
    ++seen[value.at("id").get<int>()];
    EXPECT_EQ(m.key, std::to_string(value.at("id").get<int>())) << "the record's key";
  }
  for (int id = 1; id <= kRecords; ++id) {
    ASSERT_GE(seen[id], 1) << "record " << id << " was lost (checkpoint at the kill: " << at_kill
                           << ")";
    if (static_cast<std::uint64_t>(id) <= at_kill) {
      EXPECT_EQ(seen[id], 1) << "record " << id << " was covered by the checkpoint, yet repeated";
    }
  }
}

}  // namespace
}  // namespace weft::test

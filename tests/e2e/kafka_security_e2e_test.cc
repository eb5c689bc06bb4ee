// The kafka sink and source in the real weft binary against weft-fake-kafka behind its TLS and
// SASL gateway: `tls`, `sasl` and `librdkafka: {ssl.ca.location}` as a user writes them, the
// password from the environment. Records arrive; a wrong password delivers nothing, loses
// nothing and says why; the password is never shown.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
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

constexpr const char* kPassword = "pw-7f3c9a1e-never-shown";
constexpr const char* kWrongPassword = "pw-0b5d2e84-also-never-shown";

// Sets an environment variable for the daemons this test starts (they inherit it), and
// restores what was there before.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = ::getenv(name_.c_str())) old_ = old;
    set(value);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  void set(const std::string& value) { ::setenv(name_.c_str(), value.c_str(), 1); }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The security fields of a kafka connector, as in docs/connectors/kafka.md.
std::string security_fields(const KafkaCluster& kafka, const std::string& mechanism,
                            const std::string& user, const std::string& librdkafka_extra = "") {
  return "  tls: true\n  sasl: {mechanism: " + mechanism + ", username: " + user +
         ", password: \"${KAFKA_PASSWORD}\"}\n  librdkafka: {ssl.ca.location: " + kafka.ca_file() +
         librdkafka_extra + "}\n";
}

void write_config(const TempDir& dir) {
  dir.write("config/weft.yaml",
            "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
            "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n");
}

// generate (`count` records, ids 1..count) -> kafka topic `numbers`, over SCRAM-SHA-512 + TLS.
void write_sink_daemon(const TempDir& dir, const KafkaCluster& kafka, int count,
                       const std::string& librdkafka_extra = "") {
  write_config(dir);
  dir.write(
      "pipelines/numbers.yaml",
      "name: numbers\nsource:\n  type: generate\n  rate: 0\n  count: " + std::to_string(count) +
          "\nsink:\n  type: kafka\n  brokers: [" + kafka.bootstrap() + "]\n  topic: numbers\n" +
          security_fields(kafka, "SCRAM-SHA-512", "weft", librdkafka_extra) +
          "checkpoint:\n  interval: 200ms\n");
}

std::uint64_t checkpoint_number(const TempDir& dir) {
  const std::string saved = saved_checkpoint(dir.file("data/weft.db"), "numbers");
  return saved.empty() ? 0 : std::stoull(saved);
}

// id -> how many times topic `numbers` holds it (other messages are skipped). Reads until the
// timeout: asks for more than can be there.
std::map<int, int> ids_in_topic(const KafkaCluster& kafka, int count) {
  std::map<int, int> seen;
  for (const auto& m : kafka.consume("numbers", 2 * static_cast<std::size_t>(count), 15s)) {
    const auto value = nlohmann::json::parse(m.value.value_or("null"), nullptr, false);
    if (value.is_object() && value.contains("id")) ++seen[value.at("id").get<int>()];
  }
  return seen;
}

// Everything the daemon shows an operator: its log, /api/pipelines[/numbers], /metrics.
std::string everything_shown(const WeftProcess& weft, unsigned short admin,
                             const std::string& pipeline) {
  return weft.output() + http_get("127.0.0.1", admin, "/api/pipelines").body +
         http_get("127.0.0.1", admin, "/api/pipelines/" + pipeline).body +
         http_get("127.0.0.1", admin, "/metrics").body;
}

TEST(KafkaSecurityE2E, TheSinkProducesOverScramSha512AndTlsWithoutShowingThePassword) {
  constexpr int kCount = 3000;
  KafkaCluster kafka({.tls = true, .users = {{"SCRAM-SHA-512", "weft", kPassword}}});
  kafka.create_topic("numbers", 2);
  ScopedEnv password("KAFKA_PASSWORD", kPassword);
  TempDir dir;
  write_sink_daemon(dir, kafka, kCount);
  WeftProcess weft({"run", "--config", dir.file("config/weft.yaml")}, dir.file("run.log"));
  const unsigned short admin = weft.admin_port(30s).value_or(0);
  ASSERT_NE(admin, 0) << weft.output();
  ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) == kCount; }, 120s))
      << "checkpoint at " << checkpoint_number(dir) << "\n"
      << weft.output();

  const std::string shown = everything_shown(weft, admin, "numbers");
  EXPECT_NE(shown.find(R"("password":"***")"), std::string::npos) << "shown, redacted: " << shown;
  EXPECT_EQ(shown.find(kPassword), std::string::npos) << shown;
  weft.signal(SIGTERM);
  ASSERT_EQ(weft.wait(20s), 0) << weft.output();
  EXPECT_EQ(weft.output().find(kPassword), std::string::npos) << weft.output();

  const std::map<int, int> seen = ids_in_topic(kafka, kCount);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCount));
  for (int id = 1; id <= kCount; ++id) {
    const auto it = seen.find(id);
    ASSERT_NE(it, seen.end()) << "record " << id << " did not arrive";
    EXPECT_EQ(it->second, 1) << "record " << id << " arrived " << it->second << " times";
  }
}

TEST(KafkaSecurityE2E, AWrongPasswordSaysAuthenticationDeliversNothingAndLosesNothing) {
  constexpr int kCount = 500;
  KafkaCluster kafka({.tls = true, .users = {{"SCRAM-SHA-512", "weft", kPassword}}});
  kafka.create_topic("numbers", 1);
  ScopedEnv password("KAFKA_PASSWORD", kWrongPassword);
  TempDir dir;
  // message.timeout.ms stays at its five minutes: the refusal itself fails the batches.
  write_sink_daemon(dir, kafka, kCount);
  const std::vector<std::string> run = {"run", "--config", dir.file("config/weft.yaml")};
  {
    WeftProcess weft(run, dir.file("run1.log"));
    const unsigned short admin = weft.admin_port(30s).value_or(0);
    ASSERT_NE(admin, 0) << weft.output();
    std::string status;
    ASSERT_TRUE(eventually(
        [&] {
          status = http_get("127.0.0.1", admin, "/api/pipelines/numbers").body;
          // Within seconds, not message.timeout.ms: the status says why nothing is delivered.
          return status.find("the brokers refused the client: ") != std::string::npos &&
                 status.find("SASL authentication error: Authentication failed") !=
                     std::string::npos &&
                 status.find("check the connector's sasl mechanism, username and password") !=
                     std::string::npos;
        },
        30s))
        << status << "\n"
        << weft.output();
    EXPECT_EQ(checkpoint_number(dir), 0u) << "nothing can have been confirmed";
    for (const char* secret : {kWrongPassword, kPassword}) {
      const std::string shown = everything_shown(weft, admin, "numbers");
      EXPECT_EQ(shown.find(secret), std::string::npos) << shown;
    }
    weft.signal(SIGTERM);
    weft.wait(30s);
    EXPECT_EQ(weft.output().find(kWrongPassword), std::string::npos) << weft.output();
  }
  // Had anything got in, it would come before this message in the one partition.
  kafka.produce("numbers",
                {{.key = {}, .value = R"({"marker":true})", .headers = {}, .partition = -1}});
  const auto first = kafka.consume("numbers", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first.front().value, R"({"marker":true})") << "the wrong password delivered a record";

  // With the right password, every record arrives, from where the pipeline stood.
  password.set(kPassword);
  WeftProcess weft(run, dir.file("run2.log"));
  ASSERT_TRUE(eventually([&] { return checkpoint_number(dir) == kCount; }, 120s))
      << "checkpoint at " << checkpoint_number(dir) << "\n"
      << weft.output();
  weft.signal(SIGTERM);
  ASSERT_EQ(weft.wait(20s), 0) << weft.output();
  EXPECT_EQ(weft.output().find(kPassword), std::string::npos) << weft.output();
  const std::map<int, int> seen = ids_in_topic(kafka, kCount);
  int repeated = 0;
  for (int id = 1; id <= kCount; ++id) {
    const auto it = seen.find(id);
    ASSERT_NE(it, seen.end()) << "record " << id << " was lost";
    repeated += it->second - 1;
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCount));
  // Nothing got in with the wrong password, so nothing can be repeated.
  EXPECT_EQ(repeated, 0);
}

// The lines of `path` (the file sink's output), or none yet.
std::map<int, int> numbers_in_file(const std::string& path) {
  std::map<int, int> seen;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_object() && value.contains("n")) ++seen[value.at("n").get<int>()];
  }
  return seen;
}

TEST(KafkaSecurityE2E, TheSourceConsumesAsAGroupMemberOverSaslSslPlain) {
  constexpr int kCount = 600;
  // Three brokers: the group's coordinator is found through the gateways (FindCoordinator).
  KafkaCluster kafka({.tls = true, .users = {{"PLAIN", "reader", kPassword}}}, 3);
  kafka.create_topic("orders", 4);
  std::vector<KafkaCluster::Message> messages;
  for (int i = 0; i < kCount; ++i) {
    messages.push_back({.key = std::to_string(i),
                        .value = R"({"n":)" + std::to_string(i) + "}",
                        .headers = {},
                        .partition = -1});
  }
  kafka.produce("orders", messages);

  ScopedEnv password("KAFKA_PASSWORD", kPassword);
  TempDir dir;
  write_config(dir);
  dir.write("pipelines/orders.yaml",
            "name: orders\nsource:\n  type: kafka\n  brokers: [" + kafka.bootstrap() +
                "]\n  topics: [orders]\n  group: weft-secure\n" +
                security_fields(kafka, "PLAIN", "reader",
                                ", session.timeout.ms: \"3000\", heartbeat.interval.ms: \"500\"") +
                "sink:\n  type: file\n  path: " + dir.file("out/orders.jsonl") +
                "\ncheckpoint: {interval: 200ms}\n");
  WeftProcess weft({"run", "--config", dir.file("config/weft.yaml")}, dir.file("run.log"));
  const unsigned short admin = weft.admin_port(30s).value_or(0);
  ASSERT_NE(admin, 0) << weft.output();
  ASSERT_TRUE(eventually(
      [&] {
        return numbers_in_file(dir.file("out/orders.jsonl")).size() ==
               static_cast<std::size_t>(kCount);
      },
      90s))
      << numbers_in_file(dir.file("out/orders.jsonl")).size() << " of " << kCount << "\n"
      << weft.output();
  const std::string shown = everything_shown(weft, admin, "orders");
  EXPECT_NE(shown.find(R"("password":"***")"), std::string::npos) << "shown, redacted: " << shown;
  EXPECT_EQ(shown.find(kPassword), std::string::npos) << shown;
  weft.signal(SIGTERM);
  ASSERT_EQ(weft.wait(20s), 0) << weft.output();
  for (const auto& [n, times] : numbers_in_file(dir.file("out/orders.jsonl"))) {
    EXPECT_EQ(times, 1) << "message " << n;
  }
}

}  // namespace
}  // namespace weft::test

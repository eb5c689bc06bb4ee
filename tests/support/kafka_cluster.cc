#include "support/kafka_cluster.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef WEFT_FAKE_KAFKA_BINARY
#error "WEFT_FAKE_KAFKA_BINARY must be defined (tests/support/CMakeLists.txt)"
#endif

namespace weft::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kCommandTimeout = std::chrono::seconds(10);

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

KafkaCluster::KafkaCluster(int brokers) {
  const std::string log = (dir_.path() / "fake-kafka.log").string();
  process_.start({WEFT_FAKE_KAFKA_BINARY, "--brokers", std::to_string(brokers)}, log);
  bootstrap_ = process_.read_line(kStartTimeout).value_or("");
  if (bootstrap_.find(':') == std::string::npos) {
    process_.stop();
    throw std::runtime_error(std::string("weft-fake-kafka did not start (") +
                             WEFT_FAKE_KAFKA_BINARY + ", printed '" + bootstrap_ +
                             "'); stderr:\n" + read_file(log));
  }
}

void KafkaCluster::create_topic(const std::string& topic, int partitions) {
  command("topic " + topic + " " + std::to_string(partitions));
}

void KafkaCluster::set_broker_down(int broker) { command("down " + std::to_string(broker)); }

void KafkaCluster::set_broker_up(int broker) { command("up " + std::to_string(broker)); }

void KafkaCluster::set_rtt(int broker, int milliseconds) {
  command("rtt " + std::to_string(broker) + " " + std::to_string(milliseconds));
}

void KafkaCluster::push_request_errors(int api_key, const std::vector<int>& errors) {
  std::string line = "errors " + std::to_string(api_key);
  for (int error : errors) line += " " + std::to_string(error);
  command(line);
}

void KafkaCluster::command(const std::string& line) {
  if (!process_.write_line(line)) {
    throw std::runtime_error("weft-fake-kafka is gone (sending '" + line + "')");
  }
  const auto reply = process_.read_line(kCommandTimeout);
  if (!reply) throw std::runtime_error("weft-fake-kafka did not answer '" + line + "'");
  if (*reply != "ok") throw std::runtime_error("weft-fake-kafka: '" + line + "': " + *reply);
}

}  // namespace weft::test

#pragma once

// A Kafka cluster for integration tests: weft-fake-kafka (tests/fakes/kafka), librdkafka's mock
// cluster in a process of its own, listening on loopback. The code under test (the weft binary
// or a librdkafka client in the test) connects to bootstrap() as to any broker.
//
//   weft::test::KafkaCluster kafka;             // one broker, started now
//   kafka.create_topic("orders", 3);
//   kafka.set_broker_down(1);                   // ... and set_broker_up(1)
//   kafka.push_request_errors(0 /* Produce */, {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS});
//
// With a KafkaSecurity, clients must use TLS (trusting ca_file()) and/or authenticate with SASL
// as one of its users; client_properties() has what a client needs.
//
//   weft::test::KafkaCluster kafka({.tls = true, .users = {{"SCRAM-SHA-512", "weft", "pw"}}});
//
// The cluster keeps at most 5 MiB or 100,000 message sets per partition, dropping older data
// like retention: a test that counts what arrived stays under that or consumes as it goes.
// Throws std::runtime_error (with the launcher's stderr) when it cannot start, and when a
// command fails. Not thread-safe.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace weft::test {

// What the brokers require of clients. The default: nothing (plaintext, no SASL).
struct KafkaSecurity {
  struct User {
    std::string mechanism;  // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
    std::string username;
    std::string password;
  };
  bool tls = false;
  // The users SASL accepts; empty: no SASL. The cluster's own clients (produce(), consume(),
  // client_properties()) authenticate as the first.
  std::vector<User> users;
};

class KafkaCluster {
 public:
  explicit KafkaCluster(int brokers = 1) : KafkaCluster(KafkaSecurity{}, brokers) {}
  explicit KafkaCluster(const KafkaSecurity& security, int brokers = 1);
  // Stops the cluster: its stdin closes and it exits.
  ~KafkaCluster() = default;

  // "127.0.0.1:PORT[,...]": bootstrap.servers for clients.
  const std::string& bootstrap() const { return bootstrap_; }
  // The CA certificate (PEM) clients must trust for TLS: ssl.ca.location. Empty without TLS.
  std::string ca_file() const;
  // The librdkafka properties of a client that gets in: bootstrap.servers, and as the security
  // requires, security.protocol, ssl.ca.location and sasl.* (the first user).
  std::map<std::string, std::string> client_properties() const;

  void create_topic(const std::string& topic, int partitions);
  // Broker ids start at 1; -1 means every broker.
  void set_broker_down(int broker);
  void set_broker_up(int broker);
  void set_rtt(int broker, int milliseconds);
  // The next requests with `api_key` fail with `errors` (librdkafka codes), one each, in order.
  void push_request_errors(int api_key, const std::vector<int>& errors);

  struct Message {
    std::optional<std::string> key;    // none: no key
    std::optional<std::string> value;  // none: a null value (tombstone)
    std::vector<std::pair<std::string, std::string>> headers;
    int partition = -1;
  };
  // Produces the messages to `topic` (partition -1: chosen by key), in order, and waits for
  // the broker to confirm them all.
  void produce(const std::string& topic, const std::vector<Message>& messages) const;

  // Reads `topic` from the start with a consumer of its own (a fresh group) until `count`
  // messages arrived or `timeout` passed; returns what arrived, in each partition's order.
  std::vector<Message> consume(const std::string& topic, std::size_t count,
                               std::chrono::seconds timeout = std::chrono::seconds(30)) const;

 private:
  void command(const std::string& line);

  KafkaSecurity security_;
  TempDir dir_;
  ChildProcess process_;
  std::string bootstrap_;
};

}  // namespace weft::test

#include "support/kafka_cluster.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
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

KafkaCluster::KafkaCluster(const KafkaSecurity& security, int brokers) : security_(security) {
  const std::string log = (dir_.path() / "fake-kafka.log").string();
  std::vector<std::string> command = {WEFT_FAKE_KAFKA_BINARY, "--brokers", std::to_string(brokers)};
  if (security_.tls) command.insert(command.end(), {"--tls", (dir_.path() / "tls").string()});
  for (const KafkaSecurity::User& user : security_.users) {
    command.insert(command.end(),
                   {"--sasl", user.mechanism + ":" + user.username + ":" + user.password});
  }
  process_.start(command, log);
  bootstrap_ = process_.read_line(kStartTimeout).value_or("");
  if (bootstrap_.find(':') == std::string::npos) {
    process_.stop();
    throw std::runtime_error(std::string("weft-fake-kafka did not start (") +
                             WEFT_FAKE_KAFKA_BINARY + ", printed '" + bootstrap_ +
                             "'); stderr:\n" + read_file(log));
  }
}

std::string KafkaCluster::ca_file() const {
  return security_.tls ? (dir_.path() / "tls" / "ca.pem").string() : std::string();
}

std::map<std::string, std::string> KafkaCluster::client_properties() const {
  std::map<std::string, std::string> p = {{"bootstrap.servers", bootstrap_}};
  if (!security_.users.empty()) {
    const KafkaSecurity::User& user = security_.users.front();
    p["security.protocol"] = security_.tls ? "sasl_ssl" : "sasl_plaintext";
    p["sasl.mechanism"] = user.mechanism;
    p["sasl.username"] = user.username;
    p["sasl.password"] = user.password;
  } else if (security_.tls) {
    p["security.protocol"] = "ssl";
  }
  if (security_.tls) p["ssl.ca.location"] = ca_file();
  return p;
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

void KafkaCluster::produce(const std::string& topic, const std::vector<Message>& messages) const {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [name, value] : client_properties()) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("test producer: ") + error);
    }
  }
  std::atomic<int> failed{0};  // delivery reports with an error
  rd_kafka_conf_set_opaque(conf, &failed);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) ++*static_cast<std::atomic<int>*>(opaque);
  });
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> producer(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error), rd_kafka_destroy);
  if (!producer) throw std::runtime_error(std::string("test producer: ") + error);
  for (const Message& m : messages) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
    for (const auto& [name, value] : m.headers) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    }
    // librdkafka's macros paste their arguments unparenthesised: plain variables only.
    const char* key = m.key ? m.key->data() : nullptr;
    const std::size_t key_size = m.key ? m.key->size() : 0;
    const char* value = m.value ? m.value->data() : nullptr;
    const std::size_t value_size = m.value ? m.value->size() : 0;
    const int partition = m.partition < 0 ? RD_KAFKA_PARTITION_UA : m.partition;
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_KEY(key, key_size), RD_KAFKA_V_VALUE(const_cast<char*>(value), value_size),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_headers_destroy(headers);
        throw std::runtime_error(std::string("test producer: ") + rd_kafka_err2str(err));
      }
      rd_kafka_poll(producer.get(), 10);
    }
  }
  if (rd_kafka_flush(producer.get(), 30000) != RD_KAFKA_RESP_ERR_NO_ERROR || failed != 0) {
    throw std::runtime_error("test producer: " + std::to_string(failed.load()) +
                             " message(s) to " + topic + " not confirmed");
  }
}

std::vector<KafkaCluster::Message> KafkaCluster::consume(const std::string& topic,
                                                        std::size_t count,
                                                        std::chrono::seconds timeout) const {
  static std::atomic<int> groups{0};
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::string group = "weft-test-" + topic + "-" + std::to_string(++groups);
  std::map<std::string, std::string> properties = client_properties();
  properties["group.id"] = group;
  properties["auto.offset.reset"] = "earliest";
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("test consumer: ") + error);
    }
  }
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> consumer(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error), rd_kafka_destroy);
  if (!consumer) throw std::runtime_error(std::string("test consumer: ") + error);
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);

  std::vector<Message> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Message message;
      message.partition = m->partition;
      if (m->key != nullptr) message.key.emplace(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) {
        message.value.emplace(static_cast<const char*>(m->payload), m->len);
      }
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        std::size_t size = 0;
        for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                                RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          message.headers.emplace_back(name, std::string(static_cast<const char*>(value), size));
        }
      }
      out.push_back(std::move(message));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  return out;
}

}  // namespace weft::test

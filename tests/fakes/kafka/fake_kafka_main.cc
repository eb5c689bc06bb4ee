// weft-fake-kafka: librdkafka's mock cluster (rdkafka_mock.h) as a process of its own, so the
// weft daemon, or any Kafka client, connects to it over loopback as to a real broker.
//
//   weft-fake-kafka [--brokers N] [--tls DIR] [--sasl MECHANISM:USER:PASSWORD]...
//
// Prints its bootstrap servers on one line ("127.0.0.1:PORT,..."), then reads commands from
// stdin, one per line, and answers each with "ok" or "error <why>":
//   topic NAME PARTITIONS          create a topic (the mock also creates one on first use,
//                                  with 4 partitions)
//   down BROKER / up BROKER        the broker stops / starts accepting connections again
//                                  (brokers are numbered from 1; -1 means all)
//   rtt BROKER MS                  delay the broker's responses
//   errors API_KEY ERROR...        the next requests of that API (0 Produce, 1 Fetch, 3 Metadata,
//                                  8 OffsetCommit, ...) fail with these librdkafka error codes,
//                                  one request each, in order (-195: the broker disconnects)
// It exits when stdin closes, so a test that dies, even by kill -9, takes its broker with it.
//
// The mock speaks plaintext Kafka without SASL. With --tls or --sasl, clients talk to a gateway
// in front of each mock broker instead (gateway.h), and the bootstrap line names the gateways:
//   --tls DIR        the gateways serve TLS with a certificate for 127.0.0.1 and localhost from
//                    a CA made for this run, whose certificate is written to DIR/ca.pem (for
//                    clients' ssl.ca.location); DIR is created if missing
//   --sasl M:U:P     the gateways require SASL authentication; user U with password P may
//                    authenticate with mechanism M (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512).
//                    Repeat it for more users or mechanisms.
// Authentication failures and other connection problems are written to stderr.
//
// The mock keeps at most 5 MiB or 100,000 message sets per partition, dropping older ones
// like retention: tests that count what arrived stay under that.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/kafka/gateway.h"
#include "fakes/kafka/test_certificates.h"

namespace {

std::string answer(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok" : std::string("error ") + rd_kafka_err2str(err);
}

std::string run(rd_kafka_mock_cluster_t* cluster, const std::string& line) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  if (verb == "topic") {
    std::string name;
    int partitions = 0;
    if (!(in >> name >> partitions) || partitions <= 0) return "error usage: topic NAME PARTITIONS";
    return answer(rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1));
  }
  if (verb == "down" || verb == "up") {
    int broker = 0;
    if (!(in >> broker)) return "error usage: " + verb + " BROKER";
    return answer(verb == "down" ? rd_kafka_mock_broker_set_down(cluster, broker)
                                 : rd_kafka_mock_broker_set_up(cluster, broker));
  }
  if (verb == "rtt") {
    int broker = 0;
    int ms = 0;
    if (!(in >> broker >> ms) || ms < 0) return "error usage: rtt BROKER MS";
    return answer(rd_kafka_mock_broker_set_rtt(cluster, broker, ms));
  }
  if (verb == "errors") {
    int api_key = -1;
    std::vector<rd_kafka_resp_err_t> errors;
    int code = 0;
    if (!(in >> api_key) || api_key < 0) return "error usage: errors API_KEY ERROR...";
    while (in >> code) errors.push_back(static_cast<rd_kafka_resp_err_t>(code));
    if (errors.empty()) return "error usage: errors API_KEY ERROR...";
    rd_kafka_mock_push_request_errors_array(cluster, static_cast<int16_t>(api_key), errors.size(),
                                            errors.data());
    return "ok";
  }
  return "error unknown command '" + verb + "' (topic, down, up, rtt, errors)";
}

// Sets TCP_NODELAY on the cluster's listening sockets, which the connections they accept
// inherit. A Kafka broker disables Nagle's algorithm on every connection; the mock does not,
// and then a response written in pieces waits for the client's delayed ACK (40 ms on Linux),
// which no real broker would make a client wait.
void disable_nagle_on_listeners() {
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) return;
  while (const dirent* entry = ::readdir(fds)) {
    const int fd = std::atoi(entry->d_name);
    int listening = 0;
    socklen_t size = sizeof listening;
    if (fd <= 2 || ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 ||
        listening == 0) {
      continue;
    }
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  ::closedir(fds);
}

// "a,b,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// Makes the TLS identity of the gateways and writes the CA certificate to `dir`/ca.pem.
bool make_tls_identity(const std::string& dir, weft::fakes::kafka::GatewayOptions& options) {
  std::string error;
  const auto certificates = weft::fakes::kafka::make_test_certificates(error);
  if (!certificates) {
    std::fprintf(stderr, "weft-fake-kafka: --tls: %s\n", error.c_str());
    return false;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::filesystem::path ca = std::filesystem::path(dir) / "ca.pem";
  std::ofstream out(ca);
  out << certificates->ca_pem;
  out.close();
  if (ec || !out) {
    std::fprintf(stderr, "weft-fake-kafka: --tls: cannot write %s\n", ca.c_str());
    return false;
  }
  options.tls_certificate_pem = certificates->server_cert_pem;
  options.tls_key_pem = certificates->server_key_pem;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr const char* kUsage =
      "usage: weft-fake-kafka [--brokers N] [--tls DIR] [--sasl MECHANISM:USER:PASSWORD]...\n";
  int brokers = 1;
  std::string tls_dir;
  weft::fakes::kafka::GatewayOptions gateway_options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
      brokers = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--tls") == 0 && i + 1 < argc) {
      tls_dir = argv[++i];
    } else if (std::strcmp(argv[i], "--sasl") == 0 && i + 1 < argc) {
      std::string error;
      auto user = weft::fakes::kafka::parse_sasl_user(argv[++i], error);
      if (!user) {
        std::fprintf(stderr, "weft-fake-kafka: %s\n", error.c_str());
        return 2;
      }
      gateway_options.users.push_back(std::move(*user));
    } else {
      std::fprintf(stderr, "%s", kUsage);
      return 2;
    }
  }
  if (brokers <= 0) {
    std::fprintf(stderr, "weft-fake-kafka: --brokers must be at least 1\n");
    return 2;
  }
  if (!tls_dir.empty() && !make_tls_identity(tls_dir, gateway_options)) return 1;
  char error[512];
  // The handle only hosts the cluster (librdkafka's bookkeeping); it sends nothing itself.
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "client.id", "weft-fake-kafka", error, sizeof error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    std::fprintf(stderr, "weft-fake-kafka: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "weft-fake-kafka: could not create the mock cluster\n");
    rd_kafka_destroy(handle);
    return 1;
  }
  disable_nagle_on_listeners();
  std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  std::unique_ptr<weft::fakes::kafka::Gateway> gateway;
  if (!tls_dir.empty() || !gateway_options.users.empty()) {
    gateway_options.brokers = split_list(bootstrap);
    std::string why;
    gateway = weft::fakes::kafka::Gateway::start(std::move(gateway_options), why);
    if (!gateway) {
      std::fprintf(stderr, "weft-fake-kafka: gateway: %s\n", why.c_str());
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(handle);
      return 1;
    }
    bootstrap = gateway->bootstrap();
  }
  std::printf("%s\n", bootstrap.c_str());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::printf("%s\n", run(cluster, line).c_str());
    std::fflush(stdout);
  }
  gateway.reset();  // before the brokers it forwards to
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}

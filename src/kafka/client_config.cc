#include "kafka/client_config.h"

namespace weft::kafka {
namespace {

// librdkafka properties that hold secrets: set through the secret fields, never through the
// `librdkafka` map, whose values are shown as they are.
bool holds_secret(const std::string& property) {
  for (const char* word : {"password", "secret", "key.pem", "oauthbearer.config"}) {
    if (property.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string ClientConfig::broker_list() const {
  std::string out;
  for (const auto& broker : brokers) out += (out.empty() ? "" : ",") + broker;
  return out;
}

std::map<std::string, std::string> ClientConfig::properties() const {
  std::map<std::string, std::string> p;
  p["bootstrap.servers"] = broker_list();
  p["client.id"] = "weft";
  if (!sasl_mechanism.empty()) {
    p["security.protocol"] = tls ? "sasl_ssl" : "sasl_plaintext";
    p["sasl.mechanism"] = sasl_mechanism;
    p["sasl.username"] = sasl_username;
    p["sasl.password"] = sasl_password;
  } else if (tls) {
    p["security.protocol"] = "ssl";
  }
  for (const auto& [name, value] : librdkafka) p[name] = value;
  return p;
}

Result<ClientConfig> client_config(const Settings& settings) {
  ClientConfig c;
  c.brokers = settings.string_list("brokers");
  if (settings.has("sasl")) {
    const Settings sasl = settings.object("sasl");
    c.sasl_mechanism = sasl.string("mechanism");
    c.sasl_username = sasl.string("username");
    c.sasl_password = sasl.string("password");
  }
  c.tls = settings.boolean("tls");
  if (settings.has("librdkafka")) c.librdkafka = settings.string_map("librdkafka");
  for (const auto& [name, value] : c.librdkafka) {
    if (holds_secret(name)) {
      return Error::invalid_config("field 'librdkafka': " + name +
                                   " holds a secret; set it with sasl.password (a secret field, "
                                   "redacted everywhere) instead");
    }
  }
  return c;
}

void add_brokers_field(ConfigSpec& spec) {
  spec.string_list("brokers")
      .required()
      .description("Bootstrap brokers, host:port.")
      .example("[kafka-1:9092, kafka-2:9092]");
}

void add_security_fields(ConfigSpec& spec, const std::string& client) {
  ConfigSpec sasl;
  sasl.enumeration("mechanism", {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
      .required()
      .description("SASL mechanism.");
  sasl.string("username").required().description("SASL user name.").example("weft");
  sasl.string("password")
      .required()
      .secret()
      .description("SASL password; write `${KAFKA_PASSWORD}` to take it from the environment.")
      .example("${KAFKA_PASSWORD}");
  spec.object("sasl", sasl).description("SASL authentication (with `tls: true`: SASL_SSL).");
  spec.boolean("tls").default_value("false").description("Connect with TLS.");
  spec.string_map("librdkafka")
      .description("Any other librdkafka " + client +
                   " property, passed through (`ssl.ca.location`, ...). Secrets are refused "
                   "here: use `sasl`.")
      .example("{ssl.ca.location: /etc/ssl/kafka-ca.pem}");
}

}  // namespace weft::kafka

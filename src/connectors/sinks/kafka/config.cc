#include "connectors/sinks/kafka/config.h"

namespace weft::kafka {
namespace {

// librdkafka properties that hold secrets: set through the sink's secret fields, never through
// the `librdkafka` map, whose values are shown as they are.
bool holds_secret(const std::string& property) {
  for (const char* word : {"password", "secret", "key.pem", "oauthbearer.config"}) {
    if (property.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

Result<KafkaSinkConfig> sink_config(const Settings& settings) {
  KafkaSinkConfig c;
  c.brokers = settings.string_list("brokers");
  auto topic = RecordTemplate::parse(settings.string("topic"));
  if (!topic) return Error::invalid_config("field 'topic': " + topic.error().message());
  c.topic = std::move(*topic);
  if (settings.has("key")) {
    auto key = RecordTemplate::parse(settings.string("key"));
    if (!key) return Error::invalid_config("field 'key': " + key.error().message());
    c.key = std::move(*key);
  }
  if (settings.has("headers")) c.headers = settings.string_list("headers");
  c.tombstones = settings.boolean("tombstones");
  c.compression = settings.string("compression");
  c.linger = settings.duration("linger");
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

ConnectorInfo sink_info() {
  ConnectorInfo info;
  info.type = "kafka";
  info.kind = ConnectorKind::kSink;
  info.summary =
      "Produces each record to Kafka with an idempotent producer (acks=all); a record counts as "
      "delivered only when the broker confirms it.";
  info.example = "type: kafka\nbrokers: [kafka-1:9092, kafka-2:9092]\ntopic: customers.{op}\n";
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
  auto& spec = info.spec;
  spec.string_list("brokers")
      .required()
      .description("Bootstrap brokers, host:port.")
      .example("[kafka-1:9092, kafka-2:9092]");
  spec.string("topic")
      .required()
      .description(
          "The topic, a template over the record: `dbserver1.{schema}.{table}` (headers), "
          "`customers.{op}`, `{$.type}` (a field of the value), or a fixed name.")
      .example("customers.{op}");
  spec.string("key")
      .description(
          "The message key, a template or JSON path (`$.id`, `{$.customer.id}`). Without it the "
          "record's own key is used (CDC: the primary key); records without one get no key.")
      .example("$.id");
  spec.string_list("headers")
      .description("Record headers sent as Kafka headers (`[_table, _lsn]`); `[\"*\"]` sends all.")
      .example("[_table, _lsn]");
  spec.boolean("tombstones")
      .default_value("false")
      .description(
          "A deleted entity (op `delete`) becomes a message with a null value (a tombstone), so "
          "compacted topics drop the key.");
  spec.enumeration("compression", {"none", "gzip", "snappy", "lz4", "zstd"})
      .default_value("lz4")
      .description("Compression of message batches.");
  spec.duration("linger")
      .default_value("5ms")
      .description("How long the producer waits to fill a batch (librdkafka linger.ms).");
  spec.object("sasl", sasl).description("SASL authentication (with `tls: true`: SASL_SSL).");
  spec.boolean("tls").default_value("false").description("Connect with TLS.");
  spec.string_map("librdkafka")
      .description(
          "Any other librdkafka producer property, passed through (`batch.size`, "
          "`ssl.ca.location`, ...). Idempotence stays on. Secrets are refused here: use `sasl`.")
      .example("{batch.size: \"1000000\"}");
  info.check = [](const Settings& settings) -> Status {
    auto config = sink_config(settings);
    if (!config) return config.error();
    return Status{};
  };
  info.make_sink = [](const Settings& settings,
                      const ConnectorContext& ctx) -> Result<std::unique_ptr<Sink>> {
    auto config = sink_config(settings);
    if (!config) return config.error();
    return make_kafka_sink(std::move(*config), ctx);
  };
  return info;
}

}  // namespace weft::kafka

#include "connectors/sinks/kafka/config.h"

namespace weft::kafka {

Result<KafkaSinkConfig> sink_config(const Settings& settings) {
  KafkaSinkConfig c;
  auto client = client_config(settings);
  if (!client) return client.error();
  c.client = std::move(*client);
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
  if (settings.has("batches_in_flight")) {
    c.batches_in_flight = static_cast<std::size_t>(settings.integer("batches_in_flight"));
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
  auto& spec = info.spec;
  add_brokers_field(spec);
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
  // 1ms rather than librdkafka's 5: the runtime hands the sink whole batches, whose messages
  // reach the producer within about a millisecond, so waiting longer fills librdkafka's
  // batches no further and only delays every confirmation, which the write window waits on.
  spec.duration("linger")
      .default_value("1ms")
      .description(
          "How long the producer waits to fill a batch (librdkafka linger.ms). weft already "
          "hands the producer whole batches; a longer linger only delays their confirmation.");
  spec.integer("batches_in_flight")
      .min(1)
      .max(64)
      .description(
          "Batches handed to the producer before the first is confirmed. More hide the broker's "
          "round trip; the producer keeps their order. 1: each batch waits for the previous. "
          "Unset: as many as hold 16,000 records (`batch.max_records`), 2 to 64.");
  add_security_fields(spec, "producer");
  parse_then_build(info, sink_config, make_kafka_sink);
  return info;
}

}  // namespace weft::kafka

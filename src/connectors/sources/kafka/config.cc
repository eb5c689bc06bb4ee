#include "connectors/sources/kafka/config.h"

#include <regex>

namespace weft::kafka {

Result<KafkaSourceConfig> source_config(const Settings& settings) {
  KafkaSourceConfig c;
  auto client = client_config(settings);
  if (!client) return client.error();
  c.client = std::move(*client);
  c.topics = settings.string_list("topics");
  if (c.topics.empty()) return Error::invalid_config("field 'topics': name at least one topic");
  for (const auto& topic : c.topics) {
    if (topic.empty() || topic.front() != '^') continue;
    // librdkafka matches patterns with POSIX extended regular expressions.
    try {
      std::regex(topic, std::regex::extended);
    } catch (const std::regex_error& e) {
      return Error::invalid_config("field 'topics': " + topic +
                                   " is not a regular expression: " + e.what());
    }
  }
  c.group = settings.string("group");
  c.start_from = settings.string("start_from");
  c.format = settings.string("format") == "raw" ? ValueFormat::kRaw : ValueFormat::kJson;
  return c;
}

ConnectorInfo source_info() {
  ConnectorInfo info;
  info.type = "kafka";
  info.kind = ConnectorKind::kSource;
  info.summary =
      "Consumes topics as a member of a consumer group; an offset is committed only after the "
      "pipeline delivered every record before it, so nothing is skipped on a crash or rebalance.";
  info.example = "type: kafka\nbrokers: [kafka-1:9092]\ntopics: [orders]\ngroup: weft-orders\n";
  auto& spec = info.spec;
  add_brokers_field(spec);
  spec.string_list("topics")
      .required()
      .description(
          "Topics to read. An entry starting with `^` is a regular expression: every matching "
          "topic, including ones created later, is read.")
      .example("[orders, \"^customers\\\\..*\"]");
  spec.string("group")
      .required()
      .description(
          "Consumer group id. Replicas of the pipeline with the same group share the "
          "partitions; the group's committed offsets say where reading resumes.")
      .example("weft-orders");
  spec.enumeration("start_from", {"earliest", "latest"})
      .default_value("earliest")
      .description(
          "Where a group with no committed offset for a partition starts: the oldest message "
          "kept, or only messages produced from now on.");
  spec.enumeration("format", {"json", "raw"})
      .default_value("json")
      .description(
          "How message values are read: `json`, one JSON document (a message that is not "
          "goes to the dead-letter queue); `raw`, UTF-8 text kept as a JSON string.");
  add_security_fields(spec, "consumer");
  parse_then_build(info, source_config, make_kafka_source);
  return info;
}

}  // namespace weft::kafka

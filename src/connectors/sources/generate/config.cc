#include "connectors/sources/generate/config.h"

#include "connectors/sources/generate/generate_source.h"

namespace weft::generate {

GenerateConfig GenerateConfig::from(const Settings& settings) {
  GenerateConfig c;
  c.rate = settings.number("rate");
  c.count = static_cast<std::uint64_t>(settings.integer("count"));
  c.record_size = settings.size("record_size");
  c.message = settings.string("message");
  return c;
}

ConnectorInfo info() {
  ConnectorInfo info;
  info.type = "generate";
  info.kind = ConnectorKind::kSource;
  info.summary =
      "Synthetic records at a steady rate, numbered from 1, for demos, tests and benchmarks. "
      "The position is the record number, so a restarted pipeline continues where it stopped.";
  info.example = "type: generate\nrate: 10\ncount: 0\nrecord_size: 100\nmessage: hello\n";
  auto& spec = info.spec;
  spec.number("rate")
      .default_value("100")
      .min(0)
      .max(1e9)
      .description("Records per second. 0 produces records as fast as the sink accepts them.")
      .example("10")
      .example("0");
  spec.integer("count")
      .default_value("0")
      .min(0)
      .description("Total records to produce, after which the pipeline finishes. 0 never ends.")
      .example("1000000");
  spec.size("record_size")
      .default_value("0")
      .max(16.0 * 1024 * 1024)
      .description(
          "Pad each record's JSON value with a `pad` field to at least this many bytes.")
      .example("100")
      .example("1KiB");
  spec.string("message")
      .default_value("hello from weft")
      .description("Text placed in each record's `message` field.")
      .example("hello");
  info.make_source = [](const Settings& settings, const ConnectorContext& ctx)
      -> Result<std::unique_ptr<Source>> {
    return make_generate_source(GenerateConfig::from(settings), ctx);
  };
  return info;
}

}  // namespace weft::generate

#include "connectors/sinks/file/config.h"

#include "connectors/sinks/file/file_sink.h"

namespace weft::file {

FileSinkConfig FileSinkConfig::from(const Settings& settings) {
  FileSinkConfig c;
  c.path = settings.string("path");
  c.format = settings.string("format") == "record" ? LineFormat::kRecord : LineFormat::kValue;
  c.max_size = settings.size("max_size");
  c.max_files = static_cast<int>(settings.integer("max_files"));
  c.fsync = settings.boolean("fsync");
  return c;
}

ConnectorInfo info() {
  ConnectorInfo info;
  info.type = "file";
  info.kind = ConnectorKind::kSink;
  info.summary =
      "Appends records to a file as JSON lines, rotating by size. Data is fsynced before each "
      "checkpoint, so a record whose source position was committed is on disk.";
  info.example =
      "type: file\npath: /var/lib/weft/out/orders.jsonl\nformat: value\nmax_size: 100MiB\n"
      "max_files: 10\n";
  auto& spec = info.spec;
  spec.path("path")
      .required()
      .description(
          "File to append to; relative to the pipeline file's directory. Parent directories are "
          "created.")
      .example("/var/lib/weft/out/orders.jsonl");
  spec.enumeration("format", {"value", "record"})
      .default_value("value")
      .description(
          "`value` writes each record's JSON value; `record` writes an envelope with key, op, "
          "value, headers, position and event_time.");
  spec.size("max_size")
      .default_value("100MiB")
      .description("Rotate the file before it would grow past this size. 0 disables rotation.")
      .example("64MiB");
  spec.integer("max_files")
      .default_value("10")
      .min(1)
      .max(10000)
      .description("Rotated files to keep: `<path>.1` is the newest; older ones are deleted.");
  spec.boolean("fsync")
      .default_value("true")
      .description(
          "fsync the file before each checkpoint commit. Turning it off trades the no-loss "
          "guarantee across power failure for speed.");
  info.make_sink = [](const Settings& settings, const ConnectorContext& ctx)
      -> Result<std::unique_ptr<Sink>> { return make_file_sink(FileSinkConfig::from(settings), ctx); };
  return info;
}

}  // namespace weft::file

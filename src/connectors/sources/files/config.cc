#include "connectors/sources/files/config.h"

#include "config/environment.h"
#include "files/files_config.h"
#include "files/files_source.h"

namespace weft::files {
namespace {

ConfigSpec csv_spec() {
  ConfigSpec s;
  s.string("delimiter").default_value(",").description("Field separator; `\\t` or `tab` for TSV")
      .example("';'");
  s.string("quote").default_value("\"").description("Quote character around fields");
  s.string("escape").description(
      "Escape character inside quoted fields (e.g. `\\\\`); unset: a quote is escaped by "
      "doubling it, as RFC 4180 says");
  s.boolean("header").default_value("true").description(
      "The first row (after `skip_lines`) names the columns");
  s.string_list("columns").description(
      "Column names; with `header: true` they replace the header row's names")
      .example("[id, email, name]");
  s.string_list("null_if").description("Unquoted field values read as null").example(
      "['NULL', '\\N']");
  s.boolean("empty_as_null").default_value("true").description(
      "An empty unquoted field is null (a quoted \"\" stays an empty string)");
  s.integer("skip_lines").default_value("0").min(0).description(
      "Lines dropped at the start of each file, before the header");
  s.enumeration("column_mismatch", {"error", "pad_or_truncate"})
      .default_value("error")
      .description(
          "A row with more or fewer fields than columns: a bad row (`error`), or filled with "
          "nulls / cut to the column count");
  return s;
}

ConfigSpec json_spec() {
  ConfigSpec s;
  s.string("records_path").default_value("$").description(
      "json_array: where the array of records is (`$`: the document is the array)")
      .example("$.data.items");
  return s;
}

ConfigSpec timeout_spec() {
  ConfigSpec s;
  s.duration("connect").default_value("10s").min(1).description("s3: DNS, TCP and TLS set-up");
  s.duration("read").default_value("30s").min(1).description(
      "s3: longest silence in a response");
  return s;
}

}  // namespace

ConnectorInfo info() {
  ConnectorInfo info;
  info.type = "files";
  info.kind = ConnectorKind::kSource;
  info.summary =
      "Polls an S3-compatible bucket or a local directory for CSV, JSON lines or JSON files "
      "(optionally gzipped) and emits one record per row; every object is read once, by key and "
      "ETag, and a restart resumes mid-file after the last acknowledged row.";
  info.example =
      "type: files\n"
      "url: s3://acme-drops/incoming/\n"
      "region: eu-west-1\n"
      "min_age: 1m\n"
      "after_read: move\n"
      "move_to: processed/\n";
  auto& spec = info.spec;
  spec.string("url")
      .required()
      .description(
          "Where files land: `s3://bucket/prefix/` or `file:///absolute/directory` (read "
          "recursively)")
      .example("s3://acme-drops/incoming/")
      .example("file:///var/lib/weft/drops");
  spec.string("region").default_value("us-east-1").description("s3: the bucket's region");
  spec.string("endpoint")
      .description(
          "s3: an S3-compatible endpoint (MinIO, Ceph, GCS interoperability); unset: AWS")
      .example("http://localhost:9000")
      .example("https://storage.googleapis.com");
  spec.boolean("path_style")
      .default_value("true")
      .description(
          "s3 with `endpoint`: path-style URLs (`endpoint/bucket/key`); false: "
          "`bucket.endpoint-host/key`. AWS always uses virtual-host style");
  spec.string("access_key_id")
      .description("s3: access key id; unset: `AWS_ACCESS_KEY_ID` from the environment")
      .example("${AWS_ACCESS_KEY_ID}");
  spec.string("secret_access_key")
      .secret()
      .description("s3: secret access key; unset: `AWS_SECRET_ACCESS_KEY`")
      .example("${AWS_SECRET_ACCESS_KEY}");
  spec.string("session_token")
      .secret()
      .description("s3: session token of temporary credentials; unset: `AWS_SESSION_TOKEN`");
  spec.object("timeout", timeout_spec()).description("S3 request timeouts");
  spec.string("pattern")
      .description("Regular expression the key (relative to the URL's prefix) must match whole")
      .example("'customers_.*\\.csv'");
  spec.string("glob")
      .description(
          "Glob the key (relative to the URL's prefix) must match: `*` within a path segment, "
          "`**` across segments, `?`, `[abc]`")
      .example("'customers_*.csv'")
      .example("'**/*.jsonl.gz'");
  spec.duration("min_age")
      .default_value("0s")
      .description("Skip objects modified more recently than this (still being written)")
      .example("1m");
  spec.string("start_after").description(
      "Only keys sorting after this one (S3's start-after); a relative key for directories");
  spec.duration("poll_interval")
      .default_value("30s")
      .min(100)
      .description("Time between listings");
  spec.enumeration("format", {"auto", "csv", "json_lines", "json_array"})
      .default_value("auto")
      .description(
          "File format; `auto` decides by extension (`.csv`, `.jsonl`/`.ndjson`, `.json`, each "
          "optionally `.gz`)");
  spec.object("csv", csv_spec()).description("CSV dialect");
  spec.object("json", json_spec()).description("JSON settings");
  spec.enumeration("compression", {"auto", "gzip", "none"})
      .default_value("auto")
      .description("`auto`: gzip when the object starts with gzip's magic bytes");
  spec.size("max_row_size")
      .default_value("16MiB")
      .min(1024)
      .description("A longer row (or JSON document) is a bad row");
  spec.size("read_size")
      .default_value("8MiB")
      .min(64 * 1024)
      .description("Bytes read per request; memory per object in flight is about this much");
  spec.integer("concurrency")
      .default_value("4")
      .min(1)
      .max(64)
      .description(
          "Objects fetched and parsed at once; records still leave in key order, each object's "
          "in file order");
  spec.enumeration("after_read", {"keep", "delete", "move"})
      .default_value("keep")
      .description("What happens to an object once all its records are acknowledged");
  spec.string("move_to")
      .description(
          "after_read move: key prefix (relative to the bucket, or to the directory) objects "
          "move under; keys under it are never read")
      .example("processed/");
  spec.enumeration("on_error", {"continue", "skip_file", "abort"})
      .default_value("continue")
      .description(
          "A bad row: `continue` dead-letters it and reads on; `skip_file` dead-letters the "
          "whole file as one entry and delivers none of it; `abort` stops the pipeline");
  const auto parse = [](const Settings& settings) {
    return FilesConfig::from(settings, Environment::process());
  };
  parse_then_build(info, parse, make_files_source);
  return info;
}

}  // namespace weft::files

#pragma once

// The settings of one `postgres_cdc` source (docs/connectors/postgres_cdc.md), checked and
// ready to use. Every cross-field rule lives in from(), so `weft validate` and the factory agree.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "weft/settings.h"
#include "weft/status.h"

namespace weft::pgcdc {

enum class SnapshotMode { kInitial, kNever, kInitialOnly };
enum class EnvelopeFormat { kDebezium, kRow };
enum class PublicationAutocreate { kFiltered, kAllTables, kDisabled };

// A schema-qualified table name, or a pattern `schema.*` for every table of a schema.
struct TableName {
  std::string schema;
  std::string table;  // "*": every table of the schema
  std::string qualified() const { return schema + "." + table; }
  bool matches(const std::string& s, const std::string& t) const {
    return schema == s && (table == "*" || table == t);
  }
};

struct CdcConfig {
  std::string pipeline;  // the pipeline's name, for messages that say what to run
  std::string dsn;       // a libpq conninfo string or URI; holds the password: never logged
  std::vector<TableName> tables;  // empty: every table of the publication
  std::vector<TableName> exclude_tables;
  // "schema.table" -> columns left out of every change and snapshot row (PII).
  std::map<std::string, std::vector<std::string>> exclude_columns;
  // "schema.table" -> the columns that form the record key, for tables without a primary key.
  std::map<std::string, std::vector<std::string>> keys;

  std::string slot_name;
  bool drop_slot_on_stop = false;
  std::string publication_name;
  PublicationAutocreate publication_autocreate = PublicationAutocreate::kFiltered;

  SnapshotMode snapshot_mode = SnapshotMode::kInitial;
  std::int64_t snapshot_chunk_size = 10000;

  EnvelopeFormat envelope = EnvelopeFormat::kDebezium;
  bool include_messages = false;  // logical decoding messages as records

  std::chrono::milliseconds status_interval{10000};
  std::chrono::milliseconds heartbeat_interval{0};  // 0: no heartbeats
  std::string heartbeat_query;                      // empty: a logical decoding message
  std::uint64_t max_lag_bytes = 0;                  // 0: lag never makes the source unhealthy
  std::size_t max_buffered_records = 20000;         // read ahead of the pipeline, at most

  bool included(const std::string& schema, const std::string& table) const;
  bool column_excluded(const std::string& qualified_table, const std::string& column) const;

  // `pipeline` names the default slot and publication (weft_<pipeline>).
  static Result<CdcConfig> from(const Settings& settings, const std::string& pipeline);
};

// A replication slot or publication name derived from a pipeline name: lower case, [a-z0-9_],
// at most 63 bytes (Postgres's identifier limit).
std::string default_object_name(const std::string& pipeline);

}  // namespace weft::pgcdc

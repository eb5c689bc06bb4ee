#pragma once

// Turns decoded row changes into weft records: the Debezium-style envelope or the bare row
// (docs/connectors/postgres_cdc.md), the record key from the key columns, and the metadata
// headers. Pure: no I/O, so the formats are unit-tested directly.

#include <cstdint>
#include <string>
#include <vector>

#include "pgcdc/cdc_config.h"
#include "pgcdc/pgoutput.h"
#include "weft/record.h"

namespace weft::pgcdc {

struct ColumnShape {
  std::string name;
  std::uint32_t type_oid = 0;
  bool key = false;             // part of the record key
  bool excluded = false;        // left out of records (exclude_columns)
  std::string json_name;        // "\"name\":", escaped once here instead of per row
  bool key_text_is_raw = true;  // as a single-column key, the value's text needs no conversion
};

// What the encoder needs to know about one table, computed once per Relation message (or per
// snapshot table) rather than per row.
struct TableShape {
  std::string schema;
  std::string table;
  std::string qualified;  // schema.table
  bool included = true;   // false: its changes are dropped (include/exclude lists)
  std::vector<ColumnShape> columns;
  std::vector<std::size_t> key_columns;  // indexes into columns, in key order
  std::string unknown_types;  // "col=type,..." for columns of types pg_value.h does not know
  std::string source_json;    // the fixed part of the envelope's `source` object
};

// Builds a table's shape. Key columns: the `keys` override from the config, else those the
// server marks (the replica identity: the primary key by default). `type_names` names
// non-built-in types (from Type messages or the catalog).
TableShape make_table_shape(const std::string& schema, const std::string& table,
                            const std::vector<Column>& columns, const CdcConfig& config,
                            const std::string& database,
                            const std::vector<std::string>& type_names = {});

// Where in the stream a change sits.
struct ChangeOrigin {
  Lsn commit_lsn = 0;
  std::uint32_t xid = 0;
  std::int64_t commit_time = 0;  // Postgres microseconds
  bool snapshot = false;
  // The `_lsn` and `_xid` headers, formatted once per transaction rather than per row; empty:
  // formatted from the numbers.
  std::string lsn_text;
  std::string xid_text;
};

enum class ChangeOp : char { kCreate = 'c', kUpdate = 'u', kDelete = 'd', kRead = 'r' };

class ChangeEncoder {
 public:
  explicit ChangeEncoder(EnvelopeFormat format) : format_(format) {}

  // One row change. `before` is null for inserts and for updates without an old tuple;
  // `after` is null for deletes. Unchanged TOASTed values in `after` are taken from `before`
  // when it has them; otherwise they are left out of the row and named in
  // `unchanged_toast` (Debezium envelope) / `__unchanged_toast` (row) and the
  // `_unchanged_toast` header, so a sink never overwrites them with NULL.
  // `before_key_only`: `before` holds only the key (a 'K' tuple, or a delete under the default
  // replica identity), so its other columns are left out rather than shown as null.
  Record encode(ChangeOp op, const TableShape& shape, const Tuple* before, bool before_key_only,
                const Tuple* after, const ChangeOrigin& origin) const;
  // A TRUNCATE of one table (op `t`; no key).
  Record encode_truncate(const TableShape& shape, const ChangeOrigin& origin) const;
  // A logical decoding message (op `m`), for `include_messages`.
  Record encode_message(const LogicalMessage& message, const ChangeOrigin& origin) const;

 private:
  EnvelopeFormat format_;
  mutable std::size_t last_size_ = 192;  // the last value's size, to reserve the next one
};

}  // namespace weft::pgcdc

#pragma once

// Decoding of PostgreSQL's logical replication stream: the CopyBoth framing (XLogData,
// keepalives, standby status updates) and the `pgoutput` plugin's messages, protocol version 1.
// Layouts: PostgreSQL's "Logical Replication Message Formats" and "Streaming Replication
// Protocol" chapters. Pure functions, no I/O: unit and fuzz tests feed them bytes.
//
// Decoded messages hold string_views into the bytes they were decoded from; the caller keeps
// those bytes alive while it uses the message. Malformed input (truncated, unknown type, a
// length running past the end) is a permanent Error naming the message type and what was
// wrong; decoding never reads outside `bytes`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "weft/record.h"
#include "weft/status.h"

namespace weft::pgcdc {

// A WAL position. Text form "16/B374D848" (two hex halves), as Postgres prints it.
using Lsn = std::uint64_t;
std::string format_lsn(Lsn lsn);
std::optional<Lsn> parse_lsn(std::string_view text);

// Postgres timestamps on the wire: microseconds since 2000-01-01 00:00:00 UTC.
Clock::time_point from_pg_time(std::int64_t micros);
std::int64_t to_pg_time(Clock::time_point time);

// ---- Replication stream framing (the CopyData payloads of START_REPLICATION) ----

struct XLogData {
  Lsn wal_start = 0;
  Lsn wal_end = 0;
  std::int64_t send_time = 0;
  std::string_view message;  // one pgoutput message
};

struct Keepalive {
  Lsn wal_end = 0;
  std::int64_t send_time = 0;
  bool reply_requested = false;
};

using StreamMessage = std::variant<XLogData, Keepalive>;
Result<StreamMessage> parse_stream_message(std::string_view bytes);

// The 34-byte 'r' message a client sends to report progress. Positions are "last byte + 1".
std::string standby_status_update(Lsn write, Lsn flush, Lsn apply, std::int64_t client_time,
                                  bool reply_requested);

// ---- pgoutput messages ----

struct Column {
  bool part_of_key = false;
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
};

// A table's shape. Re-sent by the server after a schema change: callers cache by `id` and
// replace the entry.
struct Relation {
  std::uint32_t id = 0;
  std::string schema;  // "" on the wire means pg_catalog; decoded as "pg_catalog"
  std::string name;
  char replica_identity = 'd';  // 'd' default, 'n' nothing, 'f' full, 'i' index
  std::vector<Column> columns;
};

enum class ValueKind { kNull, kUnchangedToast, kText, kBinary };

struct TupleValue {
  ValueKind kind = ValueKind::kNull;
  std::string_view data;  // for kText and kBinary
};

using Tuple = std::vector<TupleValue>;

struct Begin {
  Lsn final_lsn = 0;  // the commit record's LSN
  std::int64_t commit_time = 0;
  std::uint32_t xid = 0;
};

struct Commit {
  std::uint8_t flags = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // the position to confirm once the transaction is handled
  std::int64_t commit_time = 0;
};

struct Origin {
  Lsn commit_lsn = 0;
  std::string name;
};

struct TypeInfo {
  std::uint32_t oid = 0;
  std::string schema;
  std::string name;
};

struct Insert {
  std::uint32_t relation_id = 0;
  Tuple new_tuple;
};

struct Update {
  std::uint32_t relation_id = 0;
  // 'O' (REPLICA IDENTITY FULL: the whole old row) or 'K' (the old key, when it changed;
  // non-key columns arrive as nulls). Absent for a default identity whose key did not change.
  std::optional<Tuple> old_tuple;
  bool old_is_key_only = false;  // the old tuple was a 'K' tuple
  Tuple new_tuple;
};

struct Delete {
  std::uint32_t relation_id = 0;
  Tuple old_tuple;
  bool old_is_key_only = false;
};

struct Truncate {
  std::vector<std::uint32_t> relation_ids;
  bool cascade = false;
  bool restart_identity = false;
};

struct LogicalMessage {
  bool transactional = false;
  Lsn lsn = 0;
  std::string prefix;
  std::string_view content;
};

using PgOutputMessage = std::variant<Begin, Commit, Origin, Relation, TypeInfo, Insert, Update,
                                     Delete, Truncate, LogicalMessage>;

// Decodes one pgoutput message, protocol version 1 (streamed in-progress transactions are not
// requested, so no message carries a leading xid).
Result<PgOutputMessage> decode_pgoutput(std::string_view bytes);

}  // namespace weft::pgcdc

#include "pgcdc/pgoutput.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

namespace weft::pgcdc {
namespace {

// 2000-01-01 00:00:00 UTC as microseconds since the Unix epoch.
constexpr std::int64_t kPgEpochUnixMicros = 946'684'800LL * 1'000'000LL;

// Reads big-endian fields from a message, never past its end. The first failed read is
// remembered (the field's name and, for tuple columns, its number) and every later read
// returns zero, so a decoder reads a whole message and checks `failed()` once at the end
// instead of after every field.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::uint8_t u8(const char* field, int index = -1) {
    if (!need(1, field, index)) return 0;
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  std::uint16_t u16(const char* field, int index = -1) {
    return static_cast<std::uint16_t>(be(2, field, index));
  }
  std::uint32_t u32(const char* field, int index = -1) {
    return static_cast<std::uint32_t>(be(4, field, index));
  }
  std::uint64_t u64(const char* field, int index = -1) { return be(8, field, index); }
  std::int16_t i16(const char* field, int index = -1) {
    return static_cast<std::int16_t>(u16(field, index));
  }
  std::int32_t i32(const char* field, int index = -1) {
    return static_cast<std::int32_t>(u32(field, index));
  }
  std::int64_t i64(const char* field, int index = -1) {
    return static_cast<std::int64_t>(u64(field, index));
  }

  // A NUL-terminated string; the view excludes the NUL.
  std::string_view cstring(const char* field, int index = -1) {
    if (failed()) return {};
    const auto end = bytes_.find('\0', pos_);
    if (end == std::string_view::npos) {
      fail(field, index, " is not NUL-terminated before the end of the message");
      return {};
    }
    const auto text = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return text;
  }

  std::string_view take(std::size_t n, const char* field, int index = -1) {
    if (!need(n, field, index)) return {};
    const auto part = bytes_.substr(pos_, n);
    pos_ += n;
    return part;
  }

  std::string_view rest() {
    const auto part = bytes_.substr(pos_);
    pos_ = bytes_.size();
    return part;
  }

  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool failed() const { return field_ != nullptr; }

  // Records a failure that is not a short read (a bad marker, a negative length).
  void fail(const char* field, int index, const char* what) {
    if (failed()) return;
    field_ = field;
    index_ = index;
    what_ = what;
  }

  // "<context>: <field>[ <index>]<what>", for the first failure.
  Error error(std::string_view context) const {
    std::string message(context);
    message += ": ";
    message += field_;
    if (index_ >= 0) message += " " + std::to_string(index_);
    message += what_;
    return Error::permanent(std::move(message));
  }

 private:
  bool need(std::size_t n, const char* field, int index) {
    if (failed()) return false;
    if (remaining() < n) {
      fail(field, index, " runs past the end of the message");
      return false;
    }
    return true;
  }

  std::uint64_t be(std::size_t n, const char* field, int index) {
    if (!need(n, field, index)) return 0;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < n; ++i) {
      value = (value << 8) | static_cast<std::uint8_t>(bytes_[pos_ + i]);
    }
    pos_ += n;
    return value;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
  const char* field_ = nullptr;
  int index_ = -1;
  const char* what_ = "";
};

void put_be64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// TupleData: Int16 ncols, then per column a kind byte and, for 't'/'b', Int32 len + bytes.
Tuple read_tuple(Reader& r) {
  Tuple tuple;
  const auto ncols = r.i16("tuple column count");
  if (ncols < 0) r.fail("tuple column count", -1, " is negative");
  if (r.failed()) return tuple;
  // Every column takes at least one byte: do not let a corrupt count reserve gigabytes.
  tuple.reserve(std::min<std::size_t>(static_cast<std::size_t>(ncols), r.remaining()));
  for (int i = 0; i < ncols && !r.failed(); ++i) {
    TupleValue value;
    const auto kind = r.u8("tuple column", i);
    switch (kind) {
      case 'n':
        value.kind = ValueKind::kNull;
        break;
      case 'u':
        value.kind = ValueKind::kUnchangedToast;
        break;
      case 't':
      case 'b': {
        value.kind = kind == 't' ? ValueKind::kText : ValueKind::kBinary;
        const auto len = r.i32("tuple column", i);
        if (len < 0) {
          r.fail("tuple column", i, " has a negative length");
          break;
        }
        value.data = r.take(static_cast<std::size_t>(len), "tuple column", i);
        break;
      }
      default:
        r.fail("tuple column", i, " has an unknown kind (expected n, u, t or b)");
    }
    tuple.push_back(value);
  }
  return tuple;
}

Relation read_relation(Reader& r) {
  Relation rel;
  rel.id = r.u32("relation id");
  const auto schema = r.cstring("namespace");
  rel.schema = schema.empty() ? "pg_catalog" : std::string(schema);
  rel.name = std::string(r.cstring("relation name"));
  rel.replica_identity = static_cast<char>(r.u8("replica identity"));
  const auto ncols = r.i16("column count");
  if (ncols < 0) r.fail("column count", -1, " is negative");
  if (r.failed()) return rel;
  // A column takes at least 10 bytes (flags, NUL, type OID, typmod).
  rel.columns.reserve(std::min<std::size_t>(static_cast<std::size_t>(ncols), r.remaining() / 10));
  for (int i = 0; i < ncols && !r.failed(); ++i) {
    Column col;
    col.part_of_key = (r.u8("column flags", i) & 1) != 0;
    col.name = std::string(r.cstring("column name", i));
    col.type_oid = r.u32("column type", i);
    col.type_modifier = r.i32("column type modifier", i);
    rel.columns.push_back(std::move(col));
  }
  return rel;
}

Update read_update(Reader& r) {
  Update u;
  u.relation_id = r.u32("relation id");
  auto marker = r.u8("tuple marker");
  if (marker == 'K' || marker == 'O') {
    u.old_is_key_only = marker == 'K';
    u.old_tuple = read_tuple(r);
    marker = r.u8("new tuple marker");
  }
  if (!r.failed() && marker != 'N') r.fail("new tuple marker", -1, " is not 'N'");
  u.new_tuple = read_tuple(r);
  return u;
}

Delete read_delete(Reader& r) {
  Delete d;
  d.relation_id = r.u32("relation id");
  const auto marker = r.u8("old tuple marker");
  if (!r.failed() && marker != 'K' && marker != 'O') {
    r.fail("old tuple marker", -1, " is neither 'K' nor 'O'");
  }
  d.old_is_key_only = marker == 'K';
  d.old_tuple = read_tuple(r);
  return d;
}

Truncate read_truncate(Reader& r) {
  Truncate t;
  const auto nrels = r.i32("relation count");
  if (nrels < 0) r.fail("relation count", -1, " is negative");
  const auto options = r.u8("options");
  t.cascade = (options & 1) != 0;
  t.restart_identity = (options & 2) != 0;
  if (r.failed()) return t;
  t.relation_ids.reserve(std::min<std::size_t>(static_cast<std::size_t>(nrels), r.remaining() / 4));
  for (int i = 0; i < nrels && !r.failed(); ++i) t.relation_ids.push_back(r.u32("relation id", i));
  return t;
}

const char* message_name(char type) {
  switch (type) {
    case 'B':
      return "Begin";
    case 'C':
      return "Commit";
    case 'O':
      return "Origin";
    case 'R':
      return "Relation";
    case 'Y':
      return "Type";
    case 'I':
      return "Insert";
    case 'U':
      return "Update";
    case 'D':
      return "Delete";
    case 'T':
      return "Truncate";
    case 'M':
      return "Message";
    default:
      return nullptr;
  }
}

}  // namespace

std::string format_lsn(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

std::optional<Lsn> parse_lsn(std::string_view text) {
  // Each half: 1 to 8 hex digits, as Postgres's pg_lsn input accepts.
  const auto parse_half = [](std::string_view half) -> std::optional<std::uint32_t> {
    if (half.empty() || half.size() > 8) return std::nullopt;
    std::uint32_t value = 0;
    for (const char c : half) {
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      value = (value << 4) | static_cast<std::uint32_t>(digit);
    }
    return value;
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto hi = parse_half(text.substr(0, slash));
  const auto lo = parse_half(text.substr(slash + 1));
  if (!hi || !lo) return std::nullopt;
  return (static_cast<Lsn>(*hi) << 32) | *lo;
}

Clock::time_point from_pg_time(std::int64_t micros) {
  // Clock counts nanoseconds: clamp instead of overflowing for Postgres's far past and future
  // (including its +/-infinity sentinels, INT64_MAX and INT64_MIN).
  using Micros = std::chrono::microseconds;
  constexpr auto kMax = std::chrono::duration_cast<Micros>(Clock::duration::max()).count();
  constexpr auto kMin = std::chrono::duration_cast<Micros>(Clock::duration::min()).count();
  if (micros > kMax - kPgEpochUnixMicros) return Clock::time_point::max();
  if (micros < kMin - kPgEpochUnixMicros) return Clock::time_point::min();
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(Micros(micros + kPgEpochUnixMicros)));
}

std::int64_t to_pg_time(Clock::time_point time) {
  const auto unix_micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  return unix_micros - kPgEpochUnixMicros;
}

Result<StreamMessage> parse_stream_message(std::string_view bytes) {
  if (bytes.empty()) return Error::permanent("replication stream: empty CopyData message");
  Reader r(bytes.substr(1));
  switch (bytes[0]) {
    case 'w': {
      XLogData x;
      x.wal_start = r.u64("walStart");
      x.wal_end = r.u64("walEnd");
      x.send_time = r.i64("sendTime");
      x.message = r.rest();
      if (r.failed()) return r.error("replication stream XLogData");
      return StreamMessage{x};
    }
    case 'k': {
      Keepalive k;
      k.wal_end = r.u64("walEnd");
      k.send_time = r.i64("sendTime");
      k.reply_requested = r.u8("replyRequested") != 0;
      if (r.failed()) return r.error("replication stream keepalive");
      if (r.remaining() != 0) {
        return Error::permanent("replication stream keepalive: " + std::to_string(r.remaining()) +
                                " unexpected bytes after the message");
      }
      return StreamMessage{k};
    }
    default: {
      char buf[96];
      std::snprintf(buf, sizeof buf,
                    "replication stream: unknown message type 0x%02x (expected 'w' or 'k')",
                    static_cast<unsigned>(static_cast<unsigned char>(bytes[0])));
      return Error::permanent(buf);
    }
  }
}

std::string standby_status_update(Lsn write, Lsn flush, Lsn apply, std::int64_t client_time,
                                  bool reply_requested) {
  std::string out;
  out.reserve(34);
  out.push_back('r');
  put_be64(out, write);
  put_be64(out, flush);
  put_be64(out, apply);
  put_be64(out, static_cast<std::uint64_t>(client_time));
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

Result<PgOutputMessage> decode_pgoutput(std::string_view bytes) {
  if (bytes.empty()) return Error::permanent("pgoutput: empty message");
  const char type = bytes[0];
  const char* name = message_name(type);
  if (name == nullptr) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "pgoutput: unknown message type 0x%02x",
                  static_cast<unsigned>(static_cast<unsigned char>(type)));
    return Error::permanent(buf);
  }
  Reader r(bytes.substr(1));
  PgOutputMessage message;
  switch (type) {
    case 'B': {
      Begin b;
      b.final_lsn = r.u64("final LSN");
      b.commit_time = r.i64("commit time");
      b.xid = r.u32("xid");
      message = b;
      break;
    }
    case 'C': {
      Commit c;
      c.flags = r.u8("flags");
      c.commit_lsn = r.u64("commit LSN");
      c.end_lsn = r.u64("end LSN");
      c.commit_time = r.i64("commit time");
      message = c;
      break;
    }
    case 'O': {
      Origin o;
      o.commit_lsn = r.u64("commit LSN");
      o.name = std::string(r.cstring("origin name"));
      message = std::move(o);
      break;
    }
    case 'R':
      message = read_relation(r);
      break;
    case 'Y': {
      TypeInfo t;
      t.oid = r.u32("type OID");
      t.schema = std::string(r.cstring("namespace"));
      t.name = std::string(r.cstring("type name"));
      message = std::move(t);
      break;
    }
    case 'I': {
      Insert ins;
      ins.relation_id = r.u32("relation id");
      const auto marker = r.u8("new tuple marker");
      if (!r.failed() && marker != 'N') r.fail("new tuple marker", -1, " is not 'N'");
      ins.new_tuple = read_tuple(r);
      message = std::move(ins);
      break;
    }
    case 'U':
      message = read_update(r);
      break;
    case 'D':
      message = read_delete(r);
      break;
    case 'T':
      message = read_truncate(r);
      break;
    case 'M': {
      LogicalMessage m;
      m.transactional = (r.u8("flags") & 1) != 0;
      m.lsn = r.u64("LSN");
      m.prefix = std::string(r.cstring("prefix"));
      const auto len = r.i32("content length");
      if (len < 0) r.fail("content length", -1, " is negative");
      m.content = r.take(static_cast<std::size_t>(std::max(len, 0)), "content");
      message = std::move(m);
      break;
    }
  }
  if (r.failed()) return r.error(std::string("pgoutput ") + name);
  if (r.remaining() != 0) {
    // Protocol version 1 has no trailing fields: extra bytes mean a different protocol
    // version (or a streamed transaction's xid prefix) and a misread message.
    return Error::permanent(std::string("pgoutput ") + name + ": " + std::to_string(r.remaining()) +
                            " unexpected bytes after the message");
  }
  return message;
}

}  // namespace weft::pgcdc

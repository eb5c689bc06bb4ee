#include "pgcdc/change_encoder.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "pgcdc/pg_value.h"

namespace weft::pgcdc {
namespace {

std::int64_t to_millis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

const TupleValue* value_at(const Tuple* tuple, std::size_t index) {
  if (tuple == nullptr || index >= tuple->size()) return nullptr;
  return &(*tuple)[index];
}

// Appends one row as a JSON object's members (without braces). Unchanged TOASTed values are
// filled from `fill_from` when it has them, else left out and their names collected.
void append_members(std::string& out, const TableShape& shape, const Tuple& tuple, bool key_only,
                    const Tuple* fill_from, std::vector<std::string>& unchanged) {
  bool first = true;
  const auto n = std::min(tuple.size(), shape.columns.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& column = shape.columns[i];
    if (column.excluded || (key_only && !column.key)) continue;
    const TupleValue* value = &tuple[i];
    if (value->kind == ValueKind::kUnchangedToast) {
      const TupleValue* old = value_at(fill_from, i);
      if (old == nullptr || old->kind == ValueKind::kUnchangedToast) {
        unchanged.push_back(column.name);
        continue;
      }
      value = old;
    }
    if (!first) out += ',';
    first = false;
    out += column.json_name;
    switch (value->kind) {
      case ValueKind::kText:
        append_json_value(out, column.type_oid, value->data);
        break;
      case ValueKind::kBinary:  // never requested; kept as text so nothing is lost
        append_json_string(out, value->data);
        break;
      default:
        out += "null";
    }
  }
}

void append_row(std::string& out, const TableShape& shape, const Tuple* tuple, bool key_only,
                const Tuple* fill_from, std::vector<std::string>& unchanged) {
  if (tuple == nullptr) {
    out += "null";
    return;
  }
  out += '{';
  append_members(out, shape, *tuple, key_only, fill_from, unchanged);
  out += '}';
}

// True when a value of the type, as Postgres prints it, is already what the record shows
// without JSON quotes: integers, numeric, text-like types, uuid, and unknown types (passed as
// text). Decided once per column, not per row.
bool key_text_is_raw(std::uint32_t type_oid) {
  const auto type = builtin_type_name(type_oid);
  return type == "int2" || type == "int4" || type == "int8" || type == "oid" || type == "text" ||
         type == "varchar" || type == "bpchar" || type == "name" || type == "uuid" ||
         type == "numeric" || type.empty();
}

// A single-column key as text: the value as it appears in the record (a timestamptz key reads
// "2024-01-02T01:04:05Z" in both), without JSON quotes.
std::string single_key_text(const ColumnShape& column, std::string_view text) {
  if (column.key_text_is_raw) return std::string(text);
  const auto type_oid = column.type_oid;
  std::string json_text;
  append_json_value(json_text, type_oid, text);
  if (json_text.empty() || json_text.front() != '"') return json_text;
  auto parsed = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_string() ? parsed.get<std::string>() : std::string(text);
}

std::string key_of(const TableShape& shape, const Tuple* tuple) {
  if (tuple == nullptr || shape.key_columns.empty()) return {};
  auto text_at = [&](std::size_t index) -> const TupleValue* {
    return index < tuple->size() ? &(*tuple)[index] : nullptr;
  };
  if (shape.key_columns.size() == 1) {
    const auto* value = text_at(shape.key_columns[0]);
    if (value == nullptr || value->kind != ValueKind::kText) return {};
    return single_key_text(shape.columns[shape.key_columns[0]], value->data);
  }
  std::string key = "{";
  for (std::size_t k = 0; k < shape.key_columns.size(); ++k) {
    const auto index = shape.key_columns[k];
    const auto& column = shape.columns[index];
    if (k > 0) key += ',';
    key += column.json_name;
    const auto* value = text_at(index);
    if (value != nullptr && value->kind == ValueKind::kText) {
      append_json_value(key, column.type_oid, value->data);
    } else {
      key += "null";
    }
  }
  key += '}';
  return key;
}

void append_string_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, items[i]);
  }
  out += ']';
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

Operation operation_of(ChangeOp op) {
  switch (op) {
    case ChangeOp::kCreate:
      return Operation::kCreate;
    case ChangeOp::kUpdate:
      return Operation::kUpdate;
    case ChangeOp::kDelete:
      return Operation::kDelete;
    case ChangeOp::kRead:
      return Operation::kSnapshot;
  }
  return Operation::kNone;
}

// The parts every record shares: times, headers, and the `source` block of the envelope.
Record base_record(const TableShape* shape, const ChangeOrigin& origin, Clock::time_point now) {
  Record record;
  record.ingest_time = now;
  record.event_time = origin.snapshot ? now : from_pg_time(origin.commit_time);
  if (shape != nullptr) {
    record.headers.set("_table", shape->qualified);
    if (!shape->unknown_types.empty()) record.headers.set("_pg_types", shape->unknown_types);
  }
  if (!origin.snapshot) {
    record.headers.set("_lsn",
                       origin.lsn_text.empty() ? format_lsn(origin.commit_lsn) : origin.lsn_text);
    record.headers.set("_xid",
                       origin.xid_text.empty() ? std::to_string(origin.xid) : origin.xid_text);
  }
  return record;
}

void append_source(std::string& out, const std::string& source_json, const ChangeOrigin& origin,
                   Clock::time_point event_time) {
  out += "\"source\":{";
  out += source_json;
  out += ",\"lsn\":";
  out += origin.snapshot ? "null" : std::to_string(origin.commit_lsn);
  out += ",\"txId\":";
  out += origin.snapshot ? "null" : std::to_string(origin.xid);
  out += ",\"ts_ms\":";
  out += std::to_string(to_millis(event_time));
  out += ",\"snapshot\":";
  out += origin.snapshot ? "\"true\"" : "\"false\"";
  out += '}';
}

}  // namespace

TableShape make_table_shape(const std::string& schema, const std::string& table,
                            const std::vector<Column>& columns, const CdcConfig& config,
                            const std::string& database,
                            const std::vector<std::string>& type_names) {
  TableShape shape;
  shape.schema = schema;
  shape.table = table;
  shape.qualified = schema + "." + table;
  shape.included = config.included(schema, table);
  const auto key_override = config.keys.find(shape.qualified);
  std::vector<std::string> unknown;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    ColumnShape c;
    c.name = columns[i].name;
    c.type_oid = columns[i].type_oid;
    c.key = key_override == config.keys.end() ? columns[i].part_of_key : false;
    c.excluded = config.column_excluded(shape.qualified, c.name);
    c.key_text_is_raw = key_text_is_raw(c.type_oid);
    append_json_string(c.json_name, c.name);
    c.json_name += ':';
    if (builtin_type_name(c.type_oid).empty()) {
      const std::string type = i < type_names.size() && !type_names[i].empty()
                                   ? type_names[i]
                                   : "oid " + std::to_string(c.type_oid);
      unknown.push_back(c.name + "=" + type);
    }
    shape.columns.push_back(std::move(c));
  }
  if (key_override != config.keys.end()) {
    for (const auto& name : key_override->second) {
      for (std::size_t i = 0; i < shape.columns.size(); ++i) {
        if (shape.columns[i].name == name) {
          shape.columns[i].key = true;
          shape.key_columns.push_back(i);
        }
      }
    }
  } else {
    for (std::size_t i = 0; i < shape.columns.size(); ++i) {
      if (shape.columns[i].key) shape.key_columns.push_back(i);
    }
  }
  shape.unknown_types = join(unknown);
  shape.source_json = "\"connector\":\"postgresql\",\"db\":";
  append_json_string(shape.source_json, database);
  shape.source_json += ",\"schema\":";
  append_json_string(shape.source_json, schema);
  shape.source_json += ",\"table\":";
  append_json_string(shape.source_json, table);
  return shape;
}

Record ChangeEncoder::encode(ChangeOp op, const TableShape& shape, const Tuple* before,
                             bool before_key_only, const Tuple* after,
                             const ChangeOrigin& origin) const {
  const auto now = Clock::now();
  Record record = base_record(&shape, origin, now);
  record.op = operation_of(op);
  record.key = key_of(shape, after != nullptr ? after : before);
  std::vector<std::string> unchanged;
  std::string out;
  out.reserve(last_size_ + 64);  // rows of a stream tend to be alike: one allocation
  const Tuple* fill_from = before_key_only ? nullptr : before;
  // The before-image (the key only, unless REPLICA IDENTITY FULL) also travels as the record's
  // own `before`, for sinks that apply deletes and updates by the old row.
  std::string before_text;
  if (before != nullptr) {
    std::vector<std::string> ignored;  // a before-image's own 'u' values have nothing to fill
    append_row(before_text, shape, before, before_key_only, nullptr, ignored);
  }
  if (format_ == EnvelopeFormat::kDebezium) {
    out += "{\"before\":";
    out += before != nullptr ? std::string_view(before_text) : std::string_view("null");
    out += ",\"after\":";
    append_row(out, shape, after, false, fill_from, unchanged);
    out += ',';
    append_source(out, shape.source_json, origin, record.event_time);
    out += ",\"op\":\"";
    out += static_cast<char>(op);
    out += "\",\"ts_ms\":";
    out += std::to_string(to_millis(now));
    if (!unchanged.empty()) {
      out += ",\"unchanged_toast\":";
      append_string_array(out, unchanged);
    }
    out += '}';
  } else {
    const bool deleted = op == ChangeOp::kDelete;
    out += '{';
    const auto mark = out.size();
    append_members(out, shape, deleted ? *before : *after, deleted && before_key_only,
                   deleted ? nullptr : fill_from, unchanged);
    if (out.size() > mark) out += ',';
    out += "\"__op\":\"";
    out += static_cast<char>(op);
    out += "\",\"__deleted\":";
    out += deleted ? "true" : "false";
    out += ",\"__table\":";
    append_json_string(out, shape.qualified);
    out += ",\"__lsn\":";
    out += origin.snapshot ? "null" : std::to_string(origin.commit_lsn);
    out += ",\"__source_ts_ms\":";
    out += std::to_string(to_millis(record.event_time));
    if (!unchanged.empty()) {
      out += ",\"__unchanged_toast\":";
      append_string_array(out, unchanged);
    }
    out += '}';
  }
  if (!unchanged.empty()) record.headers.set("_unchanged_toast", join(unchanged));
  last_size_ = out.size();
  record.value = Payload::from_text(std::move(out));
  if (before != nullptr) record.before = Payload::from_text(std::move(before_text));
  return record;
}

Record ChangeEncoder::encode_truncate(const TableShape& shape, const ChangeOrigin& origin) const {
  const auto now = Clock::now();
  Record record = base_record(&shape, origin, now);
  std::string out;
  if (format_ == EnvelopeFormat::kDebezium) {
    out = "{\"before\":null,\"after\":null,";
    append_source(out, shape.source_json, origin, record.event_time);
    out += ",\"op\":\"t\",\"ts_ms\":" + std::to_string(to_millis(now)) + "}";
  } else {
    out = "{\"__op\":\"t\",\"__deleted\":false,\"__table\":";
    append_json_string(out, shape.qualified);
    out += ",\"__lsn\":" + std::to_string(origin.commit_lsn) +
           ",\"__source_ts_ms\":" + std::to_string(to_millis(record.event_time)) + "}";
  }
  record.value = Payload::from_text(std::move(out));
  return record;
}

Record ChangeEncoder::encode_message(const LogicalMessage& message,
                                     const ChangeOrigin& origin) const {
  const auto now = Clock::now();
  Record record = base_record(nullptr, origin, now);
  std::string out = "{\"op\":\"m\",\"message\":{\"prefix\":";
  append_json_string(out, message.prefix);
  out += ",\"content\":";
  append_json_string(out, message.content);
  out += ",\"transactional\":";
  out += message.transactional ? "true" : "false";
  out += "},\"lsn\":" + std::to_string(message.lsn) +
         ",\"ts_ms\":" + std::to_string(to_millis(now)) + "}";
  record.value = Payload::from_text(std::move(out));
  return record;
}

}  // namespace weft::pgcdc

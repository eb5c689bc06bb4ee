#pragma once

// How a record's JSON value becomes a cell of a warehouse column: the type a value suggests
// when weft creates or widens a table, and the text each database reads for a value of a
// column's type. Text sources (CSV files, query strings) carry numbers and booleans as strings,
// so a string that reads as the column's type is accepted; anything else is a type conflict
// that names both types.

#include <optional>
#include <string>
#include <string_view>

#include "warehouse/load_plan.h"
#include "weft/status.h"

namespace weft::warehouse {

// A JSON value as staging reads it, whichever parser read it (record_fields.h).
enum class ValueKind { kNull, kBoolean, kInteger, kFloat, kString, kStructured };
struct FieldValue {
  ValueKind kind = ValueKind::kNull;
  // A string's content (unescaped), a number as written, "true" or "false", an object or
  // array as compact JSON; empty for null.
  std::string_view text;
};

// The column type a value suggests: integers bigint, other numbers double, booleans boolean,
// ISO 8601 date-times timestamp, objects and arrays json, everything else text. nullopt for
// null, which suggests nothing.
std::optional<ColumnType> infer_type(const FieldValue& value);

// The type two values of one field share: the wider of bigint and double, text otherwise.
ColumnType widen(ColumnType a, ColumnType b);

// Whether `text` is an ISO 8601 date (2024-05-01) or date-time (2024-05-01T10:00:00.5+02:00,
// a space for the T, Z or an offset or neither).
bool is_iso_timestamp(std::string_view text);

// The text form of `value` for a column of `type`, in the form PostgreSQL's COPY and SQLite
// both read (booleans as true/false for PostgreSQL; SQLite callers map them to 1/0 through
// `sqlite_booleans`); numbers keep the text they arrived with. nullopt for null. An error
// (permanent) when the value does not fit: "value \"abc\" (text) does not fit a bigint column".
Result<std::optional<std::string>> cell_text(const FieldValue& value, ColumnType type,
                                             bool sqlite_booleans = false);

}  // namespace weft::warehouse

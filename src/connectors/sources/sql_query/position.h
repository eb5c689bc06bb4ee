#pragma once

// Where a `sql_query` source is: the watermark and key of the last row it handed out. The
// position text is compact JSON, {"w":"2024-05-01 10:00:00+00","k":"42"}, readable in
// `weft status` and the state store.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "weft/status.h"

namespace weft::sql_query {

// A watermark or key value as the database returned it. PostgreSQL values are always text (in
// the server's output format, which casts back exactly); SQLite values keep their storage class,
// so they are bound back as what they were and compare the same way (SQLite orders every
// integer before every text).
using CellValue = std::variant<std::string, std::int64_t, double>;

// The value as text: the record key, messages.
std::string to_text(const CellValue& value);

struct Cursor {
  CellValue watermark;
  CellValue key;
};

// {"w":<watermark>,"k":<key>}: strings as JSON strings, numbers as JSON numbers.
std::string encode_position(const Cursor& cursor);

// The inverse of encode_position. A permanent error naming the text when it is not one (a
// checkpoint written by another connector type).
Result<Cursor> decode_position(std::string_view text);

}  // namespace weft::sql_query

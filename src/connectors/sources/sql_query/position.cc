#include "connectors/sources/sql_query/position.h"

#include <nlohmann/json.hpp>

namespace weft::sql_query {
namespace {

nlohmann::json to_json(const CellValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return *integer;
  return std::get<double>(value);
}

bool from_json(const nlohmann::json& j, CellValue& out) {
  if (j.is_string()) {
    out = j.get<std::string>();
  } else if (j.is_number_integer()) {
    // An unsigned JSON integer above int64's range was never written by encode_position.
    if (j.is_number_unsigned() && j.get<std::uint64_t>() > INT64_MAX) return false;
    out = j.get<std::int64_t>();
  } else if (j.is_number_float()) {
    out = j.get<double>();
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string to_text(const CellValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  return to_json(value).dump();
}

std::string encode_position(const Cursor& cursor) {
  // Written by hand so "w" comes first, as people read it (nlohmann sorts keys).
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;  // invalid UTF-8 (SQLite)
  return "{\"w\":" + to_json(cursor.watermark).dump(-1, ' ', false, kReplace) +
         ",\"k\":" + to_json(cursor.key).dump(-1, ' ', false, kReplace) + "}";
}

Result<Cursor> decode_position(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  Cursor cursor;
  if (!j.is_object() || !j.contains("w") || !j.contains("k") ||
      !from_json(j["w"], cursor.watermark) || !from_json(j["k"], cursor.key)) {
    return Error::permanent("checkpoint '" + std::string(text) +
                            "' is not a sql_query position ({\"w\": watermark, \"k\": key})");
  }
  return cursor;
}

}  // namespace weft::sql_query

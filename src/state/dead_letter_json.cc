// The JSON shape of a dead letter and the lossless record codec (dead_letter_json.h).

#include "state/dead_letter_json.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>

#include "common/utf8.h"
#include "state/unix_time.h"

namespace weft {
namespace {

using nlohmann::json;

// ---- bytes as JSON ----
// JSON strings are Unicode text; a record's key, id, position, headers and payload text are
// bytes. They go into JSON as a string when they are valid UTF-8 (nearly always), and as
// {"base64": "..."} otherwise, so nothing is lost and the output is always valid JSON.

// The length of the well-formed UTF-8 sequence starting at text[i], or 0 when there is none.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  return p[i] < 0x80 ? 1 : utf8_length(p + i, p + text.size());
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// For display only: each byte that is not part of a valid sequence becomes U+FFFD.
std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (const std::size_t length = utf8_sequence_length(text, i); length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? kBase64Alphabet[(group >> (18 - 6 * k)) & 63] : '=';
    }
  }
  return out;
}

// The standard alphabet with padding; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t group = 0;
    std::size_t padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && k >= 2 && i + 4 == text.size()) {
        ++padding;
        group <<= 6;
        continue;
      }
      const std::size_t digit = kBase64Alphabet.find(c);
      if (digit == std::string_view::npos || padding > 0) return std::nullopt;
      group = (group << 6) | static_cast<std::uint32_t>(digit);
    }
    for (std::size_t k = 0; k < 3 - padding; ++k) {
      out += static_cast<char>((group >> (16 - 8 * k)) & 0xFF);
    }
  }
  return out;
}

json bytes_to_json(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  return json{{"base64", base64_encode(bytes)}};
}

// ---- decoding errors: each names its field ----

Error missing(std::string_view field) {
  return Error::permanent("record JSON: '" + std::string(field) + "' is missing");
}

Error malformed(std::string_view field, std::string_view problem) {
  return Error::permanent("record JSON: '" + std::string(field) + "' " + std::string(problem));
}

const json* member(const json& object, const std::string& field) {
  const auto it = object.find(field);
  return it == object.end() ? nullptr : &*it;
}

Result<std::string> bytes_from_json(const json& value, std::string_view field) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.size() == 1) {
    if (const json* base64 = member(value, "base64"); base64 && base64->is_string()) {
      if (auto bytes = base64_decode(base64->get_ref<const std::string&>())) {
        return std::move(*bytes);
      }
      return malformed(field, "holds invalid base64");
    }
  }
  return malformed(field, "must be a string or {\"base64\": \"...\"}");
}

Result<std::string> required_bytes(const json& object, const std::string& field) {
  const json* value = member(object, field);
  if (value == nullptr) return missing(field);
  return bytes_from_json(*value, field);
}

Result<Clock::time_point> required_time(const json& object, const std::string& field) {
  const json* value = member(object, field);
  if (value == nullptr) return missing(field);
  // An unsigned value above INT64_MAX is is_number_integer too, but does not fit.
  if (!value->is_number_integer() ||
      (value->is_number_unsigned() &&
       value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) ||
      !state::fits_time_point(value->get<std::int64_t>())) {
    return malformed(field, "must be an integer (unix milliseconds)");
  }
  return state::from_unix_ms(value->get<std::int64_t>());
}

// ---- payloads ----

// Writes the payload as out[field] and, when that alone would not give its text back byte for
// byte, also out[field + "_text"] with the exact text: when the text is not valid JSON, is not
// in compact form (spacing, key order, number spelling), or is JSON null (a null `field` alone
// reads back as an empty payload).
void put_payload(json& out, const std::string& field, const Payload& payload) {
  if (payload.empty()) {
    out[field] = nullptr;
    return;
  }
  const std::string& text = payload.text();
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    out[field] = to_valid_utf8(text);
    out[field + "_text"] = bytes_to_json(text);
    return;
  }
  // Parsed JSON holds only valid UTF-8, so this dump cannot throw.
  const bool exact = !value.is_null() && value.dump() == text;
  out[field] = std::move(value);
  if (!exact) out[field + "_text"] = text;
}

Result<Payload> payload_from_json(const json& object, const std::string& field) {
  const json* value = member(object, field);
  if (value == nullptr) return missing(field);
  if (const json* text = member(object, field + "_text")) {
    auto bytes = bytes_from_json(*text, field + "_text");
    if (!bytes) return bytes.error();
    return Payload::from_text(std::move(*bytes));
  }
  if (value->is_null()) return Payload();
  return Payload::from_json(*value);
}

// ---- headers ----

constexpr std::string_view kHeadersShape = "must be an object, or an array of [name, value] pairs";

json headers_to_json(const Headers& headers) {
  const bool names_are_text = std::all_of(headers.begin(), headers.end(), [](const auto& header) {
    return is_valid_utf8(header.first);
  });
  if (names_are_text) {
    json out = json::object();
    for (const auto& [name, value] : headers) out[name] = bytes_to_json(value);
    return out;
  }
  // A name that is not UTF-8 cannot be an object key.
  json out = json::array();
  for (const auto& [name, value] : headers) {
    out.push_back(json::array({bytes_to_json(name), bytes_to_json(value)}));
  }
  return out;
}

Result<Headers> headers_from_json(const json& object) {
  const json* headers = member(object, "headers");
  if (headers == nullptr) return missing("headers");
  Headers out;
  if (headers->is_object()) {
    for (auto it = headers->begin(); it != headers->end(); ++it) {
      auto value = bytes_from_json(it.value(), "headers." + it.key());
      if (!value) return value.error();
      out.set(it.key(), std::move(*value));
    }
    return out;
  }
  if (!headers->is_array()) return malformed("headers", kHeadersShape);
  for (const json& pair : *headers) {
    if (!pair.is_array() || pair.size() != 2) return malformed("headers", kHeadersShape);
    auto name = bytes_from_json(pair[0], "headers");
    if (!name) return name.error();
    auto value = bytes_from_json(pair[1], "headers");
    if (!value) return value.error();
    out.set(std::move(*name), std::move(*value));
  }
  return out;
}

// "2026-11-27T09:41:02.123Z"
std::string rfc3339_utc(Clock::time_point time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss clock{ms - day};
  char buffer[64];
  std::snprintf(
      buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return buffer;
}

}  // namespace

json dead_letter_to_json(const DeadLetter& letter, bool with_record) {
  // Names and messages are text for people; anything not UTF-8 in them is replaced.
  json out = {
      {"id", letter.id},
      {"pipeline", to_valid_utf8(letter.pipeline)},
      {"stage", to_valid_utf8(letter.stage)},
      {"error_kind", to_valid_utf8(letter.error_kind)},
      {"error", to_valid_utf8(letter.error)},
      {"attempts", letter.attempts},
      {"first_failure", rfc3339_utc(letter.first_failure)},
      {"last_failure", rfc3339_utc(letter.last_failure)},
      {"replay_requested", letter.replay_requested},
      {"position", bytes_to_json(letter.record.position)},
      {"key", bytes_to_json(letter.record.key)},
  };
  if (with_record) out["record"] = record_to_json(letter.record);
  return out;
}

json record_to_json(const Record& record) {
  json out = json::object();
  out["key"] = bytes_to_json(record.key);
  put_payload(out, "value", record.value);
  out["op"] = to_string(record.op);
  if (record.before) put_payload(out, "before", *record.before);
  out["headers"] = headers_to_json(record.headers);
  out["id"] = bytes_to_json(record.id);
  out["event_time"] = state::to_unix_ms(record.event_time);
  out["ingest_time"] = state::to_unix_ms(record.ingest_time);
  out["position"] = bytes_to_json(record.position);
  if (!record.rejected.empty()) out["rejected"] = to_valid_utf8(record.rejected);
  return out;
}

Result<Record> record_from_json(const json& in) {
  if (!in.is_object()) return Error::permanent("record JSON: not an object");
  Record record;
  for (auto [field, target] : {std::pair{"key", &record.key}, std::pair{"id", &record.id},
                               std::pair{"position", &record.position}}) {
    auto bytes = required_bytes(in, field);
    if (!bytes) return bytes.error();
    *target = std::move(*bytes);
  }

  auto value = payload_from_json(in, "value");
  if (!value) return value.error();
  record.value = std::move(*value);
  if (member(in, "before") != nullptr) {
    auto before = payload_from_json(in, "before");
    if (!before) return before.error();
    record.before = std::move(*before);
  }

  const json* op = member(in, "op");
  if (op == nullptr) return missing("op");
  std::optional<Operation> parsed;
  if (op->is_string()) parsed = parse_operation(op->get<std::string>());
  if (!parsed) {
    return malformed("op", "must be one of none, create, update, delete, snapshot (got " +
                               op->dump(-1, ' ', false, json::error_handler_t::replace) + ")");
  }
  record.op = *parsed;

  auto headers = headers_from_json(in);
  if (!headers) return headers.error();
  record.headers = std::move(*headers);

  auto event_time = required_time(in, "event_time");
  if (!event_time) return event_time.error();
  record.event_time = *event_time;
  auto ingest_time = required_time(in, "ingest_time");
  if (!ingest_time) return ingest_time.error();
  record.ingest_time = *ingest_time;
  if (const json* rejected = member(in, "rejected")) {
    if (!rejected->is_string()) return malformed("rejected", "must be a string");
    record.rejected = rejected->get<std::string>();
  }
  return record;
}

}  // namespace weft

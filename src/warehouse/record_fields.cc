#include "warehouse/record_fields.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "common/text.h"

namespace weft::warehouse {

namespace {

namespace od = simdjson::ondemand;

}  // namespace

struct RecordFields::Parser {
  od::parser parser;
  std::string padded;  // a copy of text whose string has no room for simdjson's padding

  // Fills `fields` from a JSON object's text; an error for invalid JSON and for other values.
  simdjson::error_code read(const std::string& text, std::vector<Field>& fields,
                            std::deque<std::string>& texts) {
    simdjson::padded_string_view view;
    if (text.capacity() >= text.size() + simdjson::SIMDJSON_PADDING) {
      view = simdjson::padded_string_view(text.data(), text.size(), text.capacity());
    } else {
      padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
      padded.assign(text);
      view = simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity());
    }
    od::document doc;
    if (auto e = parser.iterate(view).get(doc)) return e;
    od::object object;
    if (auto e = doc.get_object().get(object)) return e;
    for (auto member : object) {
      Field field;
      if (auto e = member.unescaped_key().get(field.name)) return e;
      od::value value;
      if (auto e = member.value().get(value)) return e;
      if (auto e = read_value(value, field.value, texts)) return e;
      fields.push_back(field);
    }
    return simdjson::SUCCESS;
  }

  static simdjson::error_code read_value(od::value value, FieldValue& out,
                                         std::deque<std::string>& texts) {
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    switch (type) {
      case od::json_type::string:
        out.kind = ValueKind::kString;
        return value.get_string().get(out.text);
      case od::json_type::number: {
        od::number_type number;
        if (auto e = value.get_number_type().get(number)) return e;
        out.kind = number == od::number_type::signed_integer ||
                           number == od::number_type::unsigned_integer
                       ? ValueKind::kInteger
                       : ValueKind::kFloat;
        out.text = trim(value.raw_json_token());  // it takes the space after the token along
        return simdjson::SUCCESS;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (auto e = value.get_bool().get(b)) return e;
        out.kind = ValueKind::kBoolean;
        out.text = b ? "true" : "false";
        return simdjson::SUCCESS;
      }
      case od::json_type::null:
        out.kind = ValueKind::kNull;
        out.text = {};
        return simdjson::SUCCESS;
      case od::json_type::object:
      case od::json_type::array: {
        std::string_view raw;
        if (type == od::json_type::object) {
          od::object object;
          if (auto e = value.get_object().get(object)) return e;
          if (auto e = object.raw_json().get(raw)) return e;
        } else {
          od::array array;
          if (auto e = value.get_array().get(array)) return e;
          if (auto e = array.raw_json().get(raw)) return e;
        }
        // Compact, as the parsed form would write it.
        std::string& compact = texts.emplace_back(raw.size(), '\0');
        std::size_t length = 0;
        if (auto e = simdjson::minify(raw.data(), raw.size(), compact.data(), length)) return e;
        compact.resize(length);
        out.kind = ValueKind::kStructured;
        out.text = compact;
        return simdjson::SUCCESS;
      }
    }
    return simdjson::INCORRECT_TYPE;
  }
};

RecordFields::RecordFields() : parser_(std::make_unique<Parser>()) {}
RecordFields::~RecordFields() = default;

bool RecordFields::read(const Record& record, const std::vector<std::string>& key) {
  const bool is_object = read_payload(record.value);
  if (is_object && read_envelope_part()) return true;
  if (is_object && has_key(key)) return true;
  if (record.op == Operation::kDelete && record.before && read_payload(*record.before)) {
    return true;
  }
  return is_object && read_payload(record.value);
}

bool RecordFields::read_payload(const Payload& payload) {
  fields_.clear();
  texts_.clear();
  if (const nlohmann::json* parsed = payload.parsed()) return read_parsed(*parsed);
  if (parser_->read(payload.text(), fields_, texts_) == simdjson::SUCCESS) return true;
  // Not an object, or not JSON: the parsed form tells which, and is cached for the message.
  fields_.clear();
  texts_.clear();
  return read_parsed(payload.json());
}

bool RecordFields::read_parsed(const nlohmann::json& value) {
  if (!value.is_object()) return false;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const nlohmann::json& v = it.value();
    Field field{it.key(), {}};
    switch (v.type()) {
      case nlohmann::json::value_t::string:
        field.value = {ValueKind::kString, v.get_ref<const std::string&>()};
        break;
      case nlohmann::json::value_t::number_integer:
      case nlohmann::json::value_t::number_unsigned:
        field.value = {ValueKind::kInteger, texts_.emplace_back(v.dump())};
        break;
      case nlohmann::json::value_t::number_float:
        field.value = {ValueKind::kFloat, texts_.emplace_back(v.dump())};
        break;
      case nlohmann::json::value_t::boolean:
        field.value = {ValueKind::kBoolean, v.get<bool>() ? "true" : "false"};
        break;
      case nlohmann::json::value_t::object:
      case nlohmann::json::value_t::array:
        field.value = {ValueKind::kStructured, texts_.emplace_back(v.dump())};
        break;
      default:
        field.value = {ValueKind::kNull, {}};
    }
    fields_.push_back(field);
  }
  return true;
}

// When fields_ are a Debezium envelope's, reads the part a warehouse loads instead: `after`, or
// `before` for a delete (op "d"). False, with fields_ unchanged, for anything else.
bool RecordFields::read_envelope_part() {
  const Field* op = nullptr;
  const Field* before = nullptr;
  const Field* after = nullptr;
  bool source = false;
  for (const auto& f : fields_) {
    if (f.name == "op") op = &f;
    if (f.name == "before") before = &f;
    if (f.name == "after") after = &f;
    if (f.name == "source") source = f.value.kind == ValueKind::kStructured;
  }
  if (op == nullptr || op->value.kind != ValueKind::kString || before == nullptr ||
      after == nullptr || !source) {
    return false;
  }
  const std::string_view code = op->value.text;
  if (code != "c" && code != "u" && code != "r" && code != "d") return false;
  const Field* part = code == "d" ? before : after;
  if (part->value.kind != ValueKind::kStructured || !part->value.text.starts_with('{')) {
    return false;
  }
  part_ = std::string(part->value.text);  // outlives the fields read from it
  fields_.clear();
  texts_.clear();
  if (parser_->read(part_, fields_, texts_) == simdjson::SUCCESS) return true;
  fields_.clear();  // not reached: part_ is compact JSON written by a parser
  texts_.clear();
  return false;
}

// Whether every key column has a value that is not null.
bool RecordFields::has_key(const std::vector<std::string>& key) const {
  return std::all_of(key.begin(), key.end(), [&](const std::string& k) {
    const Field* last = nullptr;
    for (const auto& f : fields_) {
      if (f.name == k) last = &f;
    }
    return last != nullptr && last->value.kind != ValueKind::kNull;
  });
}

}  // namespace weft::warehouse

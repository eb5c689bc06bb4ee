#include "rest/page_parser.h"

#include <simdjson.h>

#include <cstring>
#include <unordered_map>

#include "common/text.h"

namespace weft::rest {
namespace {

namespace od = simdjson::ondemand;

// The JSON text of `value` as it appears in the document.
simdjson::error_code raw_text(od::value value, std::string_view& out) {
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  if (type == od::json_type::object) {
    od::object object;
    if (auto e = value.get_object().get(object)) return e;
    if (auto e = object.raw_json().get(out)) return e;
    out = trim(out);  // raw_json() takes the whitespace after the value along
    return simdjson::SUCCESS;
  }
  if (type == od::json_type::array) {
    od::array array;
    if (auto e = value.get_array().get(array)) return e;
    if (auto e = array.raw_json().get(out)) return e;
    out = trim(out);
    return simdjson::SUCCESS;
  }
  out = trim(value.raw_json_token());
  return simdjson::SUCCESS;
}

}  // namespace

struct PageParser::Impl {
  od::parser page_parser;
  od::parser record_parser;
  simdjson::padded_string text;  // the body being parsed, with the padding simdjson reads into
  std::unordered_map<const JsonPath*, std::string> pointers;
};

PageParser::PageParser(const JsonPath& records)
    : impl_(std::make_unique<Impl>()),
      records_pointer_(records.json_pointer().value_or("")),
      records_display_(records.text()) {}

PageParser::~PageParser() = default;

Status PageParser::parse(std::string_view body) {
  records_.clear();
  rest_ = nullptr;
  impl_->text = simdjson::padded_string(body);
  const char* base = impl_->text.data();
  // What simdjson says about the syntax helps no user; the caller adds the content type and the
  // start of the body, which do.
  auto not_json = [](simdjson::error_code) { return Error::permanent("the response is not JSON"); };
  od::document doc;
  if (auto e = impl_->page_parser.iterate(impl_->text).get(doc)) return not_json(e);
  od::value found;
  auto lookup = records_pointer_.empty() ? doc.get_value().get(found)
                                         : doc.at_pointer(records_pointer_).get(found);
  od::array array;
  if (lookup == simdjson::SUCCESS) lookup = found.get_array().get(array);
  if (lookup != simdjson::SUCCESS) {
    if (lookup == simdjson::TAPE_ERROR || lookup == simdjson::UNCLOSED_STRING)
      return not_json(lookup);
    // Say what the page does have, from a DOM of the whole body (this is the error path).
    auto dom = nlohmann::json::parse(body, nullptr, false);
    if (dom.is_discarded()) return not_json(lookup);
    std::string keys;
    if (dom.is_object()) {
      for (const auto& item : dom.items()) keys += (keys.empty() ? "" : ", ") + item.key();
    }
    return Error::permanent("records path '" + records_display_ + "' found " +
                            (lookup == simdjson::INCORRECT_TYPE ? "something else" : "nothing") +
                            ", not an array" +
                            (keys.empty() ? "" : " (the response has: " + keys + ")"));
  }
  // The array's extent in the body: from its '[' to the ']' after its last element.
  const char* open = std::strchr(base + (found.raw_json_token().data() - base), '[');
  const char* last_end = open + 1;
  for (auto element : array) {
    od::value value;
    std::string_view raw;
    if (auto e = element.get(value)) return not_json(e);
    if (auto e = raw_text(value, raw)) return not_json(e);
    records_.push_back(raw);
    last_end = raw.data() + raw.size();
  }
  const char* close = std::strchr(last_end, ']');
  if (close == nullptr)
    return Error::permanent("the response is not JSON (unclosed records array)");
  const std::size_t start = static_cast<std::size_t>(open - base);
  const std::size_t end = static_cast<std::size_t>(close - base) + 1;
  std::string rest;
  rest.reserve(body.size() - (end - start) + 2);
  rest.append(body.substr(0, start)).append("[]").append(body.substr(end));
  rest_ = nlohmann::json::parse(rest, nullptr, false);
  if (rest_.is_discarded()) return Error::permanent("the response is not JSON");
  return Status{};
}

nlohmann::json PageParser::field(std::string_view record, const JsonPath& path) {
  auto [it, inserted] = impl_->pointers.try_emplace(&path);
  if (inserted) it->second = path.json_pointer().value_or("");
  // `record` lies inside impl_->text, so the bytes after it up to the padding are readable.
  const char* end_of_buffer = impl_->text.data() + impl_->text.size() + simdjson::SIMDJSON_PADDING;
  const std::size_t capacity = static_cast<std::size_t>(end_of_buffer - record.data());
  od::document doc;
  if (impl_->record_parser.iterate(record.data(), record.size(), capacity).get(doc)) return nullptr;
  od::value value;
  if (it->second.empty() ? doc.get_value().get(value) : doc.at_pointer(it->second).get(value)) {
    return nullptr;
  }
  od::json_type type;
  if (value.type().get(type)) return nullptr;
  switch (type) {
    case od::json_type::string: {
      std::string_view text;
      if (value.get_string().get(text)) return nullptr;
      return std::string(text);
    }
    case od::json_type::number: {
      od::number number;
      if (value.get_number().get(number)) return nullptr;
      if (number.is_int64()) return number.get_int64();
      if (number.is_uint64()) return number.get_uint64();
      return number.get_double();
    }
    case od::json_type::boolean: {
      bool flag = false;
      if (value.get_bool().get(flag)) return nullptr;
      return flag;
    }
    case od::json_type::null:
      return nullptr;
    default: {  // an object or array: callers say it is not what they wanted
      std::string_view raw;
      if (raw_text(value, raw)) return nullptr;
      auto parsed = nlohmann::json::parse(raw, nullptr, false);
      return parsed.is_discarded() ? nlohmann::json() : parsed;
    }
  }
}

}  // namespace weft::rest

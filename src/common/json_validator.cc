#include "common/json_validator.h"

#include <simdjson.h>

#include <cstring>

namespace weft {

struct JsonValidator::Impl {
  simdjson::dom::parser parser;
  std::string buffer;  // the text, followed by the SIMDJSON_PADDING bytes simdjson may read
};

JsonValidator::JsonValidator() : impl_(std::make_unique<Impl>()) {}
JsonValidator::~JsonValidator() = default;

std::string JsonValidator::check(std::string_view text) {
  std::string& buffer = impl_->buffer;
  buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buffer.data(), text.data(), text.size());
  std::memset(buffer.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  const auto error = impl_->parser.parse(buffer.data(), text.size(), false).error();
  if (error == simdjson::SUCCESS) return {};
  return std::string("invalid JSON: ") + simdjson::error_message(error);
}

}  // namespace weft

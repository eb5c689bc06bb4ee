#include "weft/payload.h"

#include <nlohmann/json.hpp>

namespace weft {

Payload::Payload() = default;
Payload::~Payload() = default;

Payload::Payload(const Payload& other)
    : text_(other.text_),
      json_(other.json_ ? std::make_unique<nlohmann::json>(*other.json_) : nullptr),
      has_text_(other.has_text_),
      parse_error_(other.parse_error_) {}

Payload& Payload::operator=(const Payload& other) {
  if (this != &other) *this = Payload(other);
  return *this;
}

Payload::Payload(Payload&& other) noexcept = default;
Payload& Payload::operator=(Payload&& other) noexcept = default;

Payload Payload::from_text(std::string text) {
  Payload p;
  p.text_ = std::move(text);
  p.has_text_ = true;
  return p;
}

Payload Payload::from_json(nlohmann::json value) {
  Payload p;
  p.json_ = std::make_unique<nlohmann::json>(std::move(value));
  return p;
}

bool Payload::empty() const { return !has_text_ && !json_; }

const std::string& Payload::text() const {
  if (!has_text_) {
    text_ = json_ ? json_->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "null";
    has_text_ = true;
  }
  return text_;
}

const nlohmann::json& Payload::json() const {
  if (!json_) {
    json_ = std::make_unique<nlohmann::json>(
        has_text_ ? nlohmann::json::parse(text_, nullptr, /*allow_exceptions=*/false)
                  : nlohmann::json());
    if (json_->is_discarded()) parse_error_ = "value is not valid JSON";
  }
  return *json_;
}

nlohmann::json& Payload::mutable_json() {
  json();
  has_text_ = false;
  text_.clear();
  return *json_;
}

std::string Payload::parse_error() const {
  json();
  return parse_error_;
}

}  // namespace weft

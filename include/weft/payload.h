#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace weft {

// A record's JSON value, kept in whichever form it arrived in and converted only when a stage
// needs the other one. A source that reads bytes (a file, an HTTP body) and a sink that writes
// bytes never pay for parsing; a mapper that needs fields parses once.
//
// Not thread-safe: a Payload belongs to the one stage that holds its record.
class Payload {
 public:
  Payload();
  ~Payload();
  Payload(const Payload& other);
  Payload& operator=(const Payload& other);
  Payload(Payload&& other) noexcept;
  Payload& operator=(Payload&& other) noexcept;

  // Wraps serialized JSON text. The text is trusted to be valid JSON; json() reports an error
  // through parse() if it is not.
  static Payload from_text(std::string text);
  static Payload from_json(nlohmann::json value);

  bool empty() const;

  // The serialized form; serializes (compactly) on first use if only the parsed form exists.
  const std::string& text() const;

  // The parsed form; parses on first use. Throws nothing: invalid text yields a discarded
  // value, and `parse_error()` says why.
  const nlohmann::json& json() const;
  nlohmann::json& mutable_json();  // invalidates the cached text
  // The parsed form if there is one, without parsing: null when only the text exists. For a
  // stage with a faster way to read the text than building the parsed form.
  const nlohmann::json* parsed() const { return json_.get(); }
  std::string parse_error() const;

 private:
  mutable std::string text_;
  mutable std::unique_ptr<nlohmann::json> json_;
  mutable bool has_text_ = false;
  mutable std::string parse_error_;
};

}  // namespace weft

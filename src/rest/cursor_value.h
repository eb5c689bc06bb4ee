#pragma once

// The value of an incremental cursor field (`updated_at`, `created`, an id): compared to find
// the largest one delivered, moved back by a lookback window, and written into a query
// parameter in the API's own format.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::rest {

enum class CursorType {
  kAuto,       // JSON numbers are numbers (epoch seconds for a lookback), parseable text a
               // timestamp, other text a string
  kTimestamp,  // ISO-8601 ("2024-05-01T10:00:00Z", "...+02:00", ".123Z") or "YYYY-MM-DD HH:MM:SS"
  kEpochSeconds,  // a number or numeric text
  kEpochMillis,
  kNumber,  // an id that only grows; no lookback
  kString,  // compared as text; no lookback
};

class CursorValue {
 public:
  // From a record's field (a JSON number or string). permanent Error naming the value when it
  // has the wrong shape for `type` (an object, a timestamp that does not parse).
  static Result<CursorValue> from_json(const nlohmann::json& value, CursorType type);
  // From configuration text (`initial_value`): numeric text counts as a number.
  static Result<CursorValue> from_text(std::string_view text, CursorType type);

  // Orders values of one field; timestamps by instant, numbers numerically, otherwise text.
  bool operator<(const CursorValue& other) const;

  // This value moved back by `lookback` (timestamps and epoch values; others unchanged).
  CursorValue minus(std::chrono::milliseconds lookback) const;

  // How the value is sent: numbers without a fraction as integers, timestamps in the layout
  // the API used (separator, fraction digits, 'Z'), in UTC.
  std::string text() const;
  // For the checkpoint: the JSON scalar it came from.
  nlohmann::json to_json() const;

  bool supports_lookback() const;

 private:
  enum class Kind { kNumber, kTimestamp, kString };
  struct TimestampLayout {
    char separator = 'T';
    int fraction_digits = 0;
    bool zulu = true;  // write a 'Z' (the input had a zone)
  };

  Kind kind_ = Kind::kString;
  CursorType type_ = CursorType::kAuto;
  double number_ = 0;
  std::chrono::sys_time<std::chrono::microseconds> time_{};
  TimestampLayout layout_;
  std::string text_;
};

// Parses an ISO-8601 date-time or "YYYY-MM-DD HH:MM:SS" (optional fraction and zone; no zone
// means UTC) into an instant; nullopt when it is not one.
std::optional<std::chrono::sys_time<std::chrono::microseconds>> parse_timestamp(
    std::string_view text);

}  // namespace weft::rest

#include "config/scalar_convert.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "common/suggest.h"
#include "config/units.h"

namespace weft {
namespace {

constexpr const char* kDurationHint =
    "write an integer and a unit (ms, s, m, h, d), e.g. 250ms, 5s or 1m30s";
constexpr const char* kSizeHint =
    "write bytes, or an integer with B, KB, MB, GB, KiB, MiB or GiB, e.g. 64KiB";

std::string field_label(const std::string& path) { return "field '" + path + "'"; }

Converted type_error(const std::string& text, const FieldSpec& field, const std::string& path,
                     std::string hint = {}) {
  Converted out;
  out.error = field_label(path) + ": expected " + expected_name(field.type);
  out.error += field.is_secret ? " (value not shown: secret field)" : ", got '" + text + "'";
  out.hint = std::move(hint);
  return out;
}

// `shown` is how the value appears in the message: the user's text, or nothing for secrets.
Converted check_range(nlohmann::json value, double number, const std::string& text,
                      const FieldSpec& field, const std::string& path) {
  const std::string shown = field.is_secret ? "value" : text;
  Converted out;
  if (field.min_value && number < *field.min_value) {
    out.error = field_label(path) + ": " + shown + " is below the minimum of " +
                format_bound(field.type, *field.min_value);
  } else if (field.max_value && number > *field.max_value) {
    out.error = field_label(path) + ": " + shown + " is above the maximum of " +
                format_bound(field.type, *field.max_value);
  } else {
    out.value = std::move(value);
  }
  return out;
}

Converted convert_integer(const std::string& text, const FieldSpec& field,
                          const std::string& path) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    return type_error(text, field, path, "the value does not fit in 64 bits");
  }
  if (ec != std::errc() || ptr != end) return type_error(text, field, path, "write a whole number");
  return check_range(value, static_cast<double>(value), text, field, path);
}

Converted convert_number(const std::string& text, const FieldSpec& field,
                         const std::string& path) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return type_error(text, field, path);
  }
  return check_range(value, value, text, field, path);
}

Converted convert_boolean(const std::string& text, const FieldSpec& field,
                          const std::string& path) {
  Converted out;
  if (text == "true") {
    out.value = true;
  } else if (text == "false") {
    out.value = false;
  } else {
    return type_error(text, field, path, "use true or false (lowercase)");
  }
  return out;
}

Converted convert_duration(const std::string& text, const FieldSpec& field,
                           const std::string& path) {
  if (auto ms = parse_duration_ms(text)) {
    return check_range(*ms, static_cast<double>(*ms), text, field, path);
  }
  const bool bare_number = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (bare_number && !field.is_secret) {
    return type_error(text, field, path,
                      "add a unit, e.g. " + text + "s or " + text + "ms (units: ms, s, m, h, d)");
  }
  return type_error(text, field, path, kDurationHint);
}

Converted convert_size(const std::string& text, const FieldSpec& field, const std::string& path) {
  if (auto bytes = parse_size_bytes(text)) {
    return check_range(*bytes, static_cast<double>(*bytes), text, field, path);
  }
  return type_error(text, field, path, kSizeHint);
}

Converted convert_enum(const std::string& text, const FieldSpec& field, const std::string& path) {
  Converted out;
  if (std::find(field.allowed.begin(), field.allowed.end(), text) != field.allowed.end()) {
    out.value = text;
    return out;
  }
  const std::string allowed = "allowed values: " + join(field.allowed);
  if (field.is_secret) {
    out.error = field_label(path) + ": value is not one of the allowed values";
    out.hint = allowed;
    return out;
  }
  out.error = field_label(path) + ": '" + text + "' is not one of the allowed values";
  auto close = closest_match(text, field.allowed);
  out.hint = close ? "did you mean '" + *close + "'? " + allowed : allowed;
  return out;
}

}  // namespace

std::string expected_name(FieldType type) {
  switch (type) {
    case FieldType::kEnum: return "string";
    case FieldType::kObject: return "mapping";
    case FieldType::kStringMap: return "mapping of strings";
    case FieldType::kObjectMap: return "mapping of names to mappings";
    default: return to_string(type);
  }
}

Converted convert_scalar(const std::string& text, const FieldSpec& field,
                         const std::string& path) {
  switch (field.type) {
    case FieldType::kInteger: return convert_integer(text, field, path);
    case FieldType::kNumber: return convert_number(text, field, path);
    case FieldType::kBoolean: return convert_boolean(text, field, path);
    case FieldType::kDuration: return convert_duration(text, field, path);
    case FieldType::kSize: return convert_size(text, field, path);
    case FieldType::kEnum: return convert_enum(text, field, path);
    case FieldType::kString:
    case FieldType::kPath: {
      Converted out;
      out.value = text;
      return out;
    }
    case FieldType::kObject:
    case FieldType::kStringList:
    case FieldType::kStringMap:
    case FieldType::kObjectMap: break;
  }
  return type_error(text, field, path);
}

}  // namespace weft

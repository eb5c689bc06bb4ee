#include "fakes/encoding.h"

#include <zlib.h>

#include <charconv>

namespace weft::fakes {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kLatest = 253402300799;  // 9999-12-31T23:59:59Z

struct Civil {
  std::int64_t year;
  int month;
  int day;
};

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian
// calendar, no time zone database, no locale.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

void append_two(std::string& out, std::int64_t value) {
  out += static_cast<char>('0' + value / 10);
  out += static_cast<char>('0' + value % 10);
}

// "YYYY-MM-DD" + separator + "HH:MM:SS".
void append_time(std::string& out, std::int64_t epoch_seconds, char separator) {
  std::int64_t days = epoch_seconds / kSecondsPerDay;
  std::int64_t rest = epoch_seconds % kSecondsPerDay;
  if (rest < 0) {
    rest += kSecondsPerDay;
    --days;
  }
  const Civil date = civil_from_days(days);
  if (date.year >= 0 && date.year <= 9999) {
    append_two(out, date.year / 100);
    append_two(out, date.year % 100);
  } else {
    append_int(out, date.year);
  }
  out += '-';
  append_two(out, date.month);
  out += '-';
  append_two(out, date.day);
  out += separator;
  append_two(out, rest / 3600);
  out += ':';
  append_two(out, rest / 60 % 60);
  out += ':';
  append_two(out, rest % 60);
}

// Reads exactly `width` digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

void append_int(std::string& out, std::int64_t value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

void append_iso8601(std::string& out, std::int64_t epoch_seconds) {
  append_time(out, epoch_seconds, 'T');
  out += 'Z';
}

void append_servicenow_time(std::string& out, std::int64_t epoch_seconds) {
  append_time(out, epoch_seconds, ' ');
}

std::string iso8601(std::int64_t epoch_seconds) {
  std::string out;
  append_iso8601(out, epoch_seconds);
  return out;
}

std::string servicenow_time(std::int64_t epoch_seconds) {
  std::string out;
  append_servicenow_time(out, epoch_seconds);
  return out;
}

std::optional<std::int64_t> parse_time(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // Beyond year 9999 is not a time anyone means; refusing it keeps callers' arithmetic safe.
    if (ec != std::errc() || end != text.data() + text.size() || value > kLatest) {
      return std::nullopt;
    }
    return value;
  }
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-' || *month < 1 || *month > 12 ||
      *day < 1 || *day > 31) {
    return std::nullopt;
  }
  std::int64_t seconds = days_from_civil(*year, *month, *day) * kSecondsPerDay;
  if (text.size() == 10) return seconds;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!hour || !minute || !second || text[13] != ':' || text[16] != ':' || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  seconds += *hour * 3600 + *minute * 60 + *second;
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    bool nonzero = false;
    std::size_t end = pos + 1;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      nonzero = nonzero || text[end] != '0';
      ++end;
    }
    if (end == pos + 1) return std::nullopt;
    if (nonzero) ++seconds;
    pos = end;
  }
  if (pos == text.size()) return seconds;
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) return seconds;
  if ((text[pos] == '+' || text[pos] == '-') && text.size() == pos + 6 && text[pos + 3] == ':') {
    const auto offset_hours = digits(text, pos + 1, 2);
    const auto offset_minutes = digits(text, pos + 4, 2);
    if (!offset_hours || !offset_minutes) return std::nullopt;
    const std::int64_t offset = *offset_hours * 3600 + *offset_minutes * 60;
    return text[pos] == '+' ? seconds - offset : seconds + offset;
  }
  return std::nullopt;
}

std::string base64_encode(std::string_view bytes, bool url_safe) {
  static constexpr std::string_view kStandard =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr std::string_view kUrl =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string_view alphabet = url_safe ? kUrl : kStandard;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += alphabet[n >> 6 & 63];
    out += alphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    if (rest == 2) out += alphabet[n >> 6 & 63];
    if (!url_safe) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = base64_value(c);
    if (value < 0) return std::nullopt;
    buffer = buffer << 6 | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(buffer >> bits & 0xFF);
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out.append("\\u00");
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string gzip_compress(std::string_view body) {
  // One deflate state per thread, reset per body: initialising one allocates and clears a few
  // hundred KiB, which cost more than compressing a page.
  struct Deflater {
    z_stream stream{};
    bool ready = false;
    Deflater() {
      // 15 + 16: a gzip header and trailer around the deflate stream.
      ready =
          deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    ~Deflater() {
      if (ready) deflateEnd(&stream);
    }
  };
  thread_local Deflater deflater;
  if (!deflater.ready || deflateReset(&deflater.stream) != Z_OK) return {};
  z_stream& stream = deflater.stream;
  std::string out(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  if (result != Z_STREAM_END) return {};
  out.resize(out.size() - stream.avail_out);
  return out;
}

}  // namespace weft::fakes

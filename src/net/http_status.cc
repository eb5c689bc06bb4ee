// Response classification for the retry layer (declared in http_client.h): check_status(),
// parse_retry_after() and ClientResponse::header().
#include <time.h>  // timegm (POSIX/BSD; <ctime> does not declare it)

#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "common/text.h"
#include "net/http_client.h"
#include "net/url.h"

namespace weft::net {
namespace {

// How much of an error response's body goes into the message: enough for an API's error JSON.
constexpr std::size_t kBodyExcerptBytes = 200;

// The start of `body` on one line: line breaks and tabs become spaces, other control bytes are
// dropped, and a cut UTF-8 sequence is not left at the end.
std::string body_excerpt(std::string_view body) {
  std::string_view head = trim(body);
  const bool cut = head.size() > kBodyExcerptBytes;
  if (cut) {
    std::size_t end = kBodyExcerptBytes;
    while (end > 0 && (static_cast<unsigned char>(head[end]) & 0xC0) == 0x80) --end;
    head = head.substr(0, end);
  }
  std::string out;
  out.reserve(head.size() + 3);
  for (char c : head) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t') {
      out += ' ';
    } else if (byte >= 0x20 && byte != 0x7F) {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

bool retryable_status(int status) {
  return status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

int month_index(const char* name) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (std::strcmp(name, kMonths[i]) == 0) return i;
  }
  return -1;
}

// An HTTP-date (RFC 9110 §5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete
// forms recipients must still accept, RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
// "Sun Nov  6 08:49:37 1994". sscanf with only numeric and %s conversions is locale-independent.
std::optional<std::time_t> parse_http_date(const std::string& text) {
  char weekday[16] = {};
  char month[4] = {};
  int day = 0;
  int year = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int used = 0;
  const char* s = text.c_str();
  bool parsed = std::sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", weekday, &day, month, &year,
                            &hour, &minute, &second, &used) == 7 &&
                used == static_cast<int>(text.size());
  if (!parsed) {
    used = 0;
    parsed = std::sscanf(s, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", weekday, &day, month,
                         &year, &hour, &minute, &second, &used) == 7 &&
             used == static_cast<int>(text.size());
    // RFC 850's two-digit year: 70-99 are 19xx, 00-69 are 20xx (as curl reads it).
    if (parsed) year += year < 70 ? 2000 : 1900;
  }
  if (!parsed) {
    used = 0;
    parsed = std::sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", weekday, month, &day, &hour, &minute,
                         &second, &year, &used) == 7 &&
             used == static_cast<int>(text.size());
  }
  const int mon = month_index(month);
  if (!parsed || mon < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
      year < 1970) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return timegm(&tm);
}

}  // namespace

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  const std::string_view text = trim(value);
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || seconds > std::numeric_limits<std::int64_t>::max() / 1000) {
      return std::nullopt;
    }
    return std::chrono::milliseconds(seconds * 1000);
  }
  const auto when = parse_http_date(std::string(text));
  if (!when) return std::nullopt;
  const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::from_time_t(*when) - now);
  return std::max(delay, std::chrono::milliseconds(0));
}

Status check_status(const ClientRequest& request, const ClientResponse& response,
                    const std::vector<std::string>& secret_query_params) {
  if (response.status >= 200 && response.status <= 299) return Status::ok_status();
  std::string message =
      request.method + " " +
      redact_url(response.url.empty() ? request.url : response.url, secret_query_params) +
      ": HTTP " + std::to_string(response.status);
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  if (!reason.empty() && reason.front() != '<')
    message.append(" ").append(reason);  // <unknown-status>
  if (const std::string excerpt = body_excerpt(response.body); !excerpt.empty()) {
    message += ": " + excerpt;
  }
  if (!retryable_status(response.status)) return Error::permanent(std::move(message));
  Error error = Error::retryable(std::move(message));
  if (const auto retry_after = response.header("Retry-After")) {
    if (const auto delay = parse_retry_after(*retry_after)) error.with_retry_after(*delay);
  }
  return error;
}

}  // namespace weft::net

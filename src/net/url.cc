#include "net/url.h"

#include <charconv>

#include "common/text.h"

namespace weft::net {
namespace {

unsigned short default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Query parameter names whose values are credentials in common APIs.
bool looks_secret(std::string_view name) {
  static constexpr std::string_view kMarkers[] = {"token",     "key", "secret", "password",
                                                  "signature", "sig", "auth",   "code"};
  std::string lower = to_lower(name);
  for (auto marker : kMarkers) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return false;
}

// The name of one `name=value` query item, percent-decoding left out (names are ASCII).
std::string_view item_name(std::string_view item) { return item.substr(0, item.find('=')); }

Error bad_url(std::string_view text, const std::string& why) {
  return Error::invalid_config("URL '" + redact_url(text) + "' " + why);
}

}  // namespace

std::string Url::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::string Url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port(scheme)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::to_string() const { return scheme + "://" + host_header() + target; }

Result<Url> parse_url(std::string_view text) {
  Url url;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return bad_url(text, "is not absolute (expected http://host/... or https://host/...)");
  }
  url.scheme = to_lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return bad_url(text, "has scheme '" + url.scheme + "'; only http and https are supported");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));
  auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url(text, "has an unclosed '[' in its host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url(text, "has text after its IPv6 host");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad_url(text, "has no host");
  url.host = to_lower(url.host);
  url.port = default_port(url.scheme);
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return bad_url(text, "has an invalid port '" + std::string(port_text) + "'");
    }
    url.port = static_cast<unsigned short>(value);
  }
  url.target =
      target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return url;
}

Result<Url> resolve_url(const Url& base, std::string_view reference) {
  if (reference.find("://") != std::string_view::npos) return parse_url(reference);
  if (reference.substr(0, 2) == "//") return parse_url(base.scheme + ":" + std::string(reference));
  Url url = base;
  url.userinfo.clear();
  if (reference.empty()) return url;
  if (reference.front() == '/') {
    url.target = std::string(reference);
  } else if (reference.front() == '?') {
    url.target = base.target.substr(0, base.target.find('?')) + std::string(reference);
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    url.target = path.substr(0, path.rfind('/') + 1) + std::string(reference);
  }
  return url;
}

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

std::string with_query(std::string_view target, const QueryParams& params) {
  if (params.empty()) return std::string(target);
  auto question = target.find('?');
  std::string out(target.substr(0, question));
  std::string query;
  auto append = [&query](std::string_view item) {
    if (item.empty()) return;
    if (!query.empty()) query += '&';
    query += item;
  };
  if (question != std::string_view::npos) {
    std::string_view existing = target.substr(question + 1);
    while (!existing.empty()) {
      auto amp = existing.find('&');
      std::string_view item = existing.substr(0, amp);
      bool replaced = false;
      for (const auto& [name, value] : params) {
        if (item_name(item) == percent_encode(name)) replaced = true;
      }
      if (!replaced) append(item);
      if (amp == std::string_view::npos) break;
      existing.remove_prefix(amp + 1);
    }
  }
  for (const auto& [name, value] : params)
    append(percent_encode(name) + "=" + percent_encode(value));
  if (!query.empty()) out += "?" + query;
  return out;
}

std::string redact_url(std::string_view url, const std::vector<std::string>& secret_params) {
  std::string out;
  std::string_view rest = url;
  if (auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    out = std::string(rest.substr(0, scheme_end + 3));
    rest.remove_prefix(scheme_end + 3);
    auto authority_end = rest.find_first_of("/?#");
    auto at = rest.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  }
  auto question = rest.find('?');
  out += rest.substr(0, question);
  if (question == std::string_view::npos) return out;
  std::string_view query = rest.substr(question + 1);
  std::string_view fragment;
  if (auto hash = query.find('#'); hash != std::string_view::npos) {
    fragment = query.substr(hash);
    query = query.substr(0, hash);
  }
  out += '?';
  bool first = true;
  while (true) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    std::string_view name = item_name(item);
    bool secret = looks_secret(name);
    for (const auto& s : secret_params) secret = secret || name == percent_encode(s);
    if (!first) out += '&';
    first = false;
    if (secret && name.size() < item.size()) {
      out += name;
      out += "=***";
    } else {
      out += item;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  out += fragment;
  return out;
}

}  // namespace weft::net

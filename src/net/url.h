#pragma once

// Absolute http(s) URLs as the HTTP client and the REST source use them: parsing, query
// strings, and a form of the URL that is safe to put in a log line or an error. Hand-written:
// Boost.URL would need its compiled library (libboost-url1.81-dev) for a small part of what it
// does, and the part weft needs most, redaction, is its own anyway.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/status.h"

namespace weft::net {

struct Url {
  std::string scheme;       // "http" or "https", lower case
  std::string userinfo;     // "user:pass" before '@', percent-encoded as written; usually empty
  std::string host;         // "api.example.com", "127.0.0.1", "::1" (no brackets)
  unsigned short port = 0;  // explicit or the scheme's default (80, 443)
  std::string target;       // path and query, at least "/": "/v1/customers?limit=100"

  // "host:port", with brackets around an IPv6 host: the Host header and the CONNECT target.
  std::string authority() const;
  // Host header value: the port is left out when it is the scheme's default.
  std::string host_header() const;
  // scheme://authority + target, without userinfo.
  std::string to_string() const;
};

// Parses an absolute http:// or https:// URL; a fragment is dropped. invalid_config naming the
// URL (redacted) when it is not one.
Result<Url> parse_url(std::string_view text);

// Resolves `reference` (absolute, "//host/...", "/path", or relative like "page2") against
// `base`, as a Location header or a next link in a body is resolved (RFC 3986 §5, simplified:
// dot segments are not removed).
Result<Url> resolve_url(const Url& base, std::string_view reference);

// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~), with
// uppercase hex, byte by byte (UTF-8 stays UTF-8; space is %20, never '+'). `keep_slash` keeps
// '/' as it is, for paths (SigV4 canonical URIs).
std::string percent_encode(std::string_view text, bool keep_slash = false);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// `target` with `params` appended (percent-encoded), after a '?' or '&' as needed. A parameter
// already in the target with the same name is replaced, so a next-page URL from the server and
// a configured parameter never both appear.
std::string with_query(std::string_view target, const QueryParams& params);

// The URL for messages and logs: userinfo dropped, and the value of every query parameter whose
// name looks like a credential (token, key, secret, password, signature, sig, auth, code,
// case-insensitive substring) or is listed in `secret_params` (exact name) replaced by "***".
std::string redact_url(std::string_view url, const std::vector<std::string>& secret_params = {});

}  // namespace weft::net

#pragma once

#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::net {

// A parsed `admin.listen` value. `host` is an IPv4 or IPv6 literal without brackets.
struct ListenAddress {
  std::string host;
  unsigned short port = 0;  // 0: let the kernel pick a free port
  bool ipv6 = false;
};

// Parses a listen address, "host:port" or "[ipv6]:port". The host must be an IP literal or "localhost" (taken as
// 127.0.0.1): the admin server never resolves names, so start-up cannot hang on DNS. Returns an
// invalid_config Error quoting `listen` and saying what is wrong. Pure; thread-safe.
Result<ListenAddress> parse_listen_address(std::string_view listen);

}  // namespace weft::net

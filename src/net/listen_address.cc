#include "net/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace weft::net {
namespace {

Error invalid(std::string_view listen, const std::string& why) {
  return Error::invalid_config("\"" + std::string(listen) + "\": " + why);
}

bool is_ipv4(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

}  // namespace

Result<ListenAddress> parse_listen_address(std::string_view listen) {
  const std::string kExpected = "expected host:port, e.g. 127.0.0.1:8686 or [::1]:8686";
  ListenAddress out;
  std::string_view port_text;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string_view::npos) return invalid(listen, "missing ']' after IPv6 address");
    out.host = std::string(listen.substr(1, close - 1));
    if (close + 1 >= listen.size() || listen[close + 1] != ':') return invalid(listen, kExpected);
    port_text = listen.substr(close + 2);
    if (!is_ipv6(out.host)) return invalid(listen, "'" + out.host + "' is not an IPv6 address");
    out.ipv6 = true;
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string_view::npos) return invalid(listen, kExpected);
    out.host = std::string(listen.substr(0, colon));
    port_text = listen.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return invalid(listen, "an IPv6 address needs brackets, e.g. [::1]:8686");
    }
    if (out.host == "localhost") out.host = "127.0.0.1";
    if (out.host.empty()) return invalid(listen, "missing host; " + kExpected);
    if (!is_ipv4(out.host)) {
      return invalid(listen, "'" + out.host + "' is not an IP address (host names are not resolved)");
    }
  }
  if (port_text.empty() || port_text.size() > 5) {
    return invalid(listen, "port must be a number from 0 to 65535");
  }
  unsigned long port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') return invalid(listen, "port must be a number from 0 to 65535");
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) return invalid(listen, "port must be a number from 0 to 65535");
  out.port = static_cast<unsigned short>(port);
  return out;
}

}  // namespace weft::net

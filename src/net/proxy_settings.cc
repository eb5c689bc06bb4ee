// ProxySettings (declared in http_client.h): which proxy, if any, a request goes through.
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/text.h"
#include "net/http_client.h"

namespace weft::net {
namespace {

// The first set, non-empty variable of the two.
std::string first_env(const char* preferred, const char* fallback) {
  for (const char* name : {preferred, fallback}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return {};
}

// An IP literal gets only exact matches: "0.0.1" must not match 10.0.0.1 as a domain suffix.
bool is_ip_literal(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

// A host as NO_PROXY entries and URL hosts are compared: lower case, no brackets around an IPv6
// address, no trailing dot of a fully qualified name.
std::string normalise_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return to_lower(host);
}

// One NO_PROXY entry without a port ("example.com:8080", "[::1]:80") and without its leading dot.
std::string entry_host(std::string_view entry) {
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    return normalise_host(entry.substr(1, close == std::string_view::npos ? close : close - 1));
  }
  const auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    entry = entry.substr(0, colon);  // one colon: a port; more: a bare IPv6 address
  }
  while (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
  return normalise_host(entry);
}

// curl's NO_PROXY rules: "*" matches everything; a name matches itself and its subdomains
// ("example.com" and ".example.com" both cover api.example.com); an IP matches only itself.
bool bypasses_proxy(std::string_view no_proxy, std::string_view url_host) {
  const std::string host = normalise_host(url_host);
  const bool ip = is_ip_literal(host);
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find(',');
    const std::string_view raw = trim(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (raw == "*") return true;
    const std::string entry = entry_host(raw);
    if (entry.empty()) continue;
    if (host == entry) return true;
    if (!ip && host.size() > entry.size() && host.ends_with(entry) &&
        host[host.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace

ProxySettings ProxySettings::from_environment() {
  ProxySettings out;
  out.http_proxy = first_env("http_proxy", "HTTP_PROXY");
  out.https_proxy = first_env("https_proxy", "HTTPS_PROXY");
  out.no_proxy = first_env("no_proxy", "NO_PROXY");
  return out;
}

std::string ProxySettings::proxy_for(std::string_view scheme, std::string_view host) const {
  const std::string& proxy = iequals(scheme, "https") ? https_proxy : http_proxy;
  if (proxy.empty() || bypasses_proxy(no_proxy, host)) return {};
  return proxy;
}

}  // namespace weft::net

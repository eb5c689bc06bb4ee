#pragma once

// A small synchronous HTTP/1.1 client for tests (Boost.Beast underneath, kept out of this
// header). Each call opens a connection, sends one request, reads the response and closes.

#include <chrono>
#include <map>
#include <string>

namespace weft::test {

struct HttpResponse {
  int status = 0;  // 0: no response (could not connect, timed out, malformed); see `error`
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; repeated fields joined by ", "
  std::string error;                           // empty when a response arrived

  // The value of header `name` (any case), or "" when absent.
  std::string header(const std::string& name) const;
};

// Sends `method target` to host:port (an IP address or "localhost") with `headers` and `body`
// (Content-Length is set when `body` is not empty) and waits at most `timeout` in total. Never
// throws. Thread-safe: each call uses its own io_context.
HttpResponse http_request(const std::string& method, const std::string& host, unsigned short port,
                          const std::string& target,
                          const std::map<std::string, std::string>& headers = {},
                          const std::string& body = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

// http_request("GET", ...).
HttpResponse http_get(const std::string& host, unsigned short port, const std::string& target,
                      const std::map<std::string, std::string>& headers = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace weft::test

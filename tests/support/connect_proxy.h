#pragma once

// A forward HTTP proxy for tests, listening on a free 127.0.0.1 port with a thread of its own
// (Asio, kept out of this header):
//   - "CONNECT host:port" connects to the target, answers 200 and tunnels bytes both ways;
//   - an absolute-form request ("GET http://host:port/x HTTP/1.1") is sent on to the origin in
//     origin form with "Connection: close", and the answer relayed until the origin closes.
// Optionally requires "Proxy-Authorization: Basic ..." (else 407). Counts what it did.

#include <memory>
#include <string>
#include <vector>

namespace weft::test {

class ConnectProxy {
 public:
  // `credentials`: "user:pass" a client must present; empty: no authentication.
  explicit ConnectProxy(std::string credentials = "");
  ~ConnectProxy();  // stops the thread; open tunnels are cut
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  unsigned short port() const;
  // "http://127.0.0.1:<port>", with "user:pass@" inserted when `userinfo` is given.
  std::string url(const std::string& userinfo = "") const;

  // Thread-safe counters and the request lines received, in arrival order
  // ("CONNECT localhost:8443 HTTP/1.1", "GET http://127.0.0.1:8080/x HTTP/1.1").
  int tunnels() const;    // CONNECTs answered 200
  int forwarded() const;  // absolute-form requests relayed
  int refused() const;    // requests answered 407
  std::vector<std::string> request_lines() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::test

#pragma once

// Clients for tests of weft's HTTP servers: a blocking client on one plain connection that sends
// any bytes and reads responses one at a time (POSIX sockets), a TLS client (Asio, kept out of
// this header), and a maker of self-signed certificates.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/raw_connection.h"

namespace weft::test {

// One response as the client saw it.
struct WireResponse {
  int status = 0;                              // 0: none (timed out, closed, unparseable)
  std::map<std::string, std::string> headers;  // lower-case names; the last of repeated ones
  std::string body;

  // The value of header `name` (lower case), or "" when absent.
  std::string header(const std::string& name) const;
};

// One connection to 127.0.0.1:port. Not thread-safe; every read is bounded by its timeout.
class WireClient {
 public:
  explicit WireClient(unsigned short port) : connection_("127.0.0.1", port) {}  // check ok()

  bool ok() const { return connection_.ok(); }

  // Sends all of `bytes`; false when the peer has closed or reset the connection.
  bool send(std::string_view bytes) { return connection_.send(bytes); }

  // Reads one response (a 1xx one too). `head_request`: the response has no body whatever its
  // Content-Length says.
  WireResponse read_response(bool head_request = false,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // True when bytes arrive (or the peer closes) within `timeout`.
  bool readable_within(std::chrono::milliseconds timeout);

  // Reads until the peer closes or `timeout` passes and returns what arrived (beyond responses
  // already read); closed_by_peer() then says which of the two happened.
  std::string read_until_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool closed_by_peer() const { return closed_by_peer_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  RawConnection connection_;
  std::string pending_;  // received, not yet returned
  bool closed_by_peer_ = false;
};

// "METHOD target HTTP/1.1" with a Host header, `extra_headers` (each ending in CRLF), and a
// Content-Length when `body` is not empty.
std::string request_text(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& extra_headers = "");

struct TlsExchange {
  std::vector<std::pair<int, std::string>> responses;  // status and body, in order
  std::string error;                                   // empty when every request got an answer
};

// Sends `requests` (whole request texts) one after the other on one TLS connection to
// 127.0.0.1:port without verifying the certificate; gives up after 5 s in all.
TlsExchange tls_exchange(unsigned short port, std::vector<std::string> requests);

// Writes a self-signed P-256 certificate for "localhost", valid for a day, and its key as PEM.
bool write_self_signed_certificate(const std::string& cert_file, const std::string& key_file);

}  // namespace weft::test

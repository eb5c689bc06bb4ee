#pragma once

// A plain TCP client socket for tests that need bytes an HTTP client will not send: pipelined
// requests, oversized headers, a connection that stays silent. POSIX sockets; no Asio.

#include <chrono>
#include <string>
#include <string_view>

namespace weft::test {

class RawConnection {
 public:
  // Connects to host:port (an IPv4 or IPv6 literal). Check ok() / error().
  RawConnection(const std::string& host, unsigned short port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  // The socket, for callers that read with their own framing (-1 when not connected).
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

  // Sends all of `bytes`; false when the peer has closed or reset the connection.
  bool send(std::string_view bytes);

  // Reads until the peer closes the connection or `timeout` passes, and returns what arrived.
  // closed_by_peer() then says which of the two happened.
  std::string read_until_closed(std::chrono::milliseconds timeout);
  bool closed_by_peer() const { return closed_by_peer_; }

 private:
  int fd_ = -1;
  std::string error_;
  bool closed_by_peer_ = false;
};

}  // namespace weft::test

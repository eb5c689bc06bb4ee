#pragma once

// A small synchronous HTTP/1.1 client for the daemon's admin API, used by `weft dlq` (Boost.Beast
// underneath, kept out of this header). One connection per request.

#include <chrono>
#include <string>
#include <string_view>

namespace weft::cli {

struct AdminReply {
  enum class Outcome {
    kResponse,      // the daemon answered; see `status` and `body`
    kNotListening,  // connection refused: no daemon is listening there
    kFailed,        // anything else (timeout, reset, malformed response); see `error`
  };
  Outcome outcome = Outcome::kFailed;
  int status = 0;
  std::string body;
  std::string error;  // for kNotListening and kFailed: what went wrong, e.g. "timed out"
};

class AdminClient {
 public:
  // `host` is an IP literal (IPv6 without brackets). A wildcard address (0.0.0.0, ::) means the
  // local machine: it connects to the loopback address of the same family. An empty
  // `bearer_token` sends no Authorization header. `timeout` bounds each request as a whole.
  AdminClient(std::string host, unsigned short port, std::string bearer_token,
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Sends `method target` (with `body` as application/json when not empty) and waits for the
  // response. Never throws. Thread-safe: each call uses its own io_context.
  AdminReply request(std::string_view method, std::string_view target,
                     std::string_view body = {}) const;

  // "http://127.0.0.1:8686" + target, for messages.
  std::string url(std::string_view target) const;

 private:
  std::string host_;
  unsigned short port_;
  std::string bearer_token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace weft::cli

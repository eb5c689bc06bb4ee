#pragma once

// A small synchronous HTTP/1.1 client for the daemon's admin API, used by `weft dlq`, `weft status`
// and the other verbs that talk to the running daemon (Boost.Beast underneath, kept out of this
// header). One connection per request.

#include <chrono>
#include <functional>
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

  // GETs `target` and hands each line of a 200 response's body (JSON lines, e.g. the chunked
  // stream of /api/pipelines/{name}/tap), without its "\n" or "\r\n", to `on_line` as soon as it
  // has arrived; empty lines are skipped, and a last line without a line break is handed over at
  // the end. Stops early, closing the connection, when `on_line` returns false. Connecting,
  // sending and the response header are bounded by the timeout; the body is not (a stream may
  // wait long for its next line: the process is ended with a signal). Returns kResponse with
  // `status` 200 and an empty `body` when the stream ended or was stopped; with another status,
  // `body` holds the (error) response; kFailed with `error` when the connection broke mid-stream
  // (the lines before were handed over). Never throws: an exception from `on_line` ends the
  // stream as kFailed. Thread-safe like request().
  AdminReply stream(std::string_view target,
                    const std::function<bool(std::string_view line)>& on_line) const;

  // "http://127.0.0.1:8686" + target, for messages.
  std::string url(std::string_view target) const;

 private:
  std::string host_;
  unsigned short port_;
  std::string bearer_token_;
  std::chrono::milliseconds timeout_;

  // Runs one exchange; `line_handler` null: request(), else stream().
  AdminReply run(std::string_view method, std::string_view target, std::string_view body,
                 const std::function<bool(std::string_view)>* line_handler) const;
};

}  // namespace weft::cli

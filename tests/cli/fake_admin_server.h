#pragma once

// A stand-in for the daemon's admin API in the CLI tests: it listens on 127.0.0.1 (a port the
// kernel picks), reads each request's head and lets the test answer with raw bytes, so that a
// test controls status codes, bodies, and when each chunk of a stream goes out. It serves one
// connection at a time on its own thread and closes each after answering.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace weft::test {

struct SeenRequest {
  std::string method;
  std::string target;
  std::string authorization;  // the Authorization header, "" when none
};

class FakeAdminServer {
 public:
  // Writes `bytes` to the connection; false once the client has gone.
  using Send = std::function<bool(std::string_view bytes)>;
  // Runs on the server thread for each request; `send` writes to the connection.
  using Answer = std::function<void(const SeenRequest& request, const Send& send)>;

  explicit FakeAdminServer(Answer answer);
  ~FakeAdminServer();  // stops serving and joins the thread
  FakeAdminServer(const FakeAdminServer&) = delete;
  FakeAdminServer& operator=(const FakeAdminServer&) = delete;

  unsigned short port() const { return port_; }
  // Every request so far, oldest first. Thread-safe.
  std::vector<SeenRequest> requests() const;

 private:
  void serve();
  void handle(int connection);

  Answer answer_;
  int listener_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<SeenRequest> requests_;
  std::thread thread_;
};

// A whole response with Content-Length and "Connection: close".
std::string http_response(int status, std::string_view body,
                          std::string_view content_type = "application/json");
// The head of a chunked 200 response of JSON lines.
std::string ndjson_stream_head();
// One chunk of a chunked body; "" gives the last chunk.
std::string chunk(std::string_view data);

}  // namespace weft::test

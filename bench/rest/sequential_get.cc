// Sequential keep-alive GETs, for bench/rest.sh: the most a client could page through an API on
// one connection, one request at a time, when it does nothing with the bodies. The physical
// limit the rest source is measured against.
//
// One blocking socket, one request in flight, no pipelining. Each response is framed by its
// status line and Content-Length (anything else is an error) and its body is read and thrown
// away, never parsed. Two ways to find the next page:
//   --follow HEADER PARAM  page with a cursor: the next request is FIRST_TARGET plus
//                          &PARAM=<value of the response header HEADER>, until a response has
//                          no such header (the fake API's cursor endpoint sends its
//                          next_cursor as X-Next-Cursor too, so no body is looked at);
//   --pages N              page numbers: FIRST_TARGET with {n} replaced by 1..N.
// Plain POSIX sockets so that it builds with `g++ -O2 -std=c++20` and nothing else.
//
// Usage: sequential_get --port P --target FIRST_TARGET (--follow HEADER PARAM | --pages N)
//          [--host 127.0.0.1] [--gzip]
// Prints one line of key=value pairs: requests, ok (2xx), body_bytes, wire_bytes (headers
// included), connects, seconds (from the connect to the last byte of the last response).
// Exits 1 on bad usage, a connection error, or a response it cannot frame.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string target;
  std::string follow_header;  // empty: --pages
  std::string follow_param;
  long pages = 0;
  bool gzip = false;
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "sequential_get: %s\n", message.c_str());
  std::exit(1);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + std::string(a));
      return argv[++i];
    };
    if (a == "--host") {
      o.host = value();
    } else if (a == "--port") {
      o.port = std::atoi(value().c_str());
    } else if (a == "--target") {
      o.target = value();
    } else if (a == "--follow") {
      o.follow_header = value();
      o.follow_param = value();
    } else if (a == "--pages") {
      o.pages = std::atol(value().c_str());
    } else if (a == "--gzip") {
      o.gzip = true;
    } else {
      die("unknown argument " + std::string(a));
    }
  }
  if (o.port <= 0 || o.target.empty()) die("--port and --target are required");
  if (o.follow_header.empty() == (o.pages <= 0)) die("give one of --follow and --pages");
  return o;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

class Connection {
 public:
  Connection(const std::string& host, int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) die(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) die("not an IPv4 address: " + host);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      die(std::string("connect: ") + std::strerror(errno));
    }
  }
  ~Connection() { ::close(fd_); }

  void send_all(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die(std::string("send: ") + std::strerror(errno));
      sent += static_cast<std::size_t>(n);
    }
  }

  // Reads one response. Returns its status; `header_value` gets the value of `wanted` (if any).
  // Adds the body's size to `body_bytes` and everything read to `wire_bytes`.
  int read_response(std::string_view wanted, std::optional<std::string>& header_value,
                    std::uint64_t& body_bytes, std::uint64_t& wire_bytes) {
    std::size_t header_end;
    while ((header_end = in_.find("\r\n\r\n")) == std::string::npos) fill();
    const std::string_view head(in_.data(), header_end);
    const auto space = head.find(' ');
    if (space == std::string_view::npos || !head.starts_with("HTTP/1.")) die("not an HTTP answer");
    const int status = std::atoi(std::string(head.substr(space + 1, 3)).c_str());
    std::optional<std::size_t> length;
    header_value.reset();
    std::size_t at = head.find("\r\n");
    while (at != std::string_view::npos && at < head.size()) {
      const std::size_t start = at + 2;
      std::size_t end = head.find("\r\n", start);
      if (end == std::string_view::npos) end = head.size();
      const std::string_view line = head.substr(start, end - start);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view name = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (iequals(name, "Content-Length")) length = std::strtoull(std::string(value).c_str(), nullptr, 10);
        if (iequals(name, "Transfer-Encoding")) die("chunked answers are not supported");
        if (!wanted.empty() && iequals(name, wanted)) header_value = std::string(value);
      }
      at = end;
    }
    if (!length) die("an answer without Content-Length");
    const std::size_t total = header_end + 4 + *length;
    while (in_.size() < total) fill();
    body_bytes += *length;
    wire_bytes += total;
    in_.erase(0, total);
    return status;
  }

 private:
  void fill() {
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) return;
    if (n == 0) die("the server closed the connection");
    if (n < 0) die(std::string("recv: ") + std::strerror(errno));
    in_.append(buffer, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string in_;
};

std::string request_for(const Options& o, const std::string& target) {
  std::string r = "GET " + target + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                  "\r\nAccept: application/json\r\n";
  if (o.gzip) r += "Accept-Encoding: gzip\r\n";
  r += "\r\n";
  return r;
}

std::string with_page(std::string target, long n) {
  const auto at = target.find("{n}");
  if (at != std::string::npos) target.replace(at, 3, std::to_string(n));
  return target;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::uint64_t requests = 0, ok = 0, body_bytes = 0, wire_bytes = 0;
  const auto started = std::chrono::steady_clock::now();
  Connection connection(o.host, o.port);
  std::optional<std::string> next;
  std::string target = o.follow_header.empty() ? with_page(o.target, 1) : o.target;
  const char separator = o.target.find('?') == std::string::npos ? '?' : '&';
  for (long page = 1;; ++page) {
    connection.send_all(request_for(o, target));
    const int status = connection.read_response(o.follow_header, next, body_bytes, wire_bytes);
    ++requests;
    if (status >= 200 && status < 300) ++ok;
    if (o.follow_header.empty()) {
      if (page >= o.pages) break;
      target = with_page(o.target, page + 1);
    } else {
      if (!next || next->empty() || status >= 300) break;
      // Cursors are base64url here; anything else would need percent-encoding.
      target = o.target + separator + o.follow_param + "=" + *next;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("requests=%llu ok=%llu body_bytes=%llu wire_bytes=%llu connects=1 seconds=%.6f\n",
              static_cast<unsigned long long>(requests), static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(body_bytes),
              static_cast<unsigned long long>(wire_bytes), seconds);
  return 0;
}

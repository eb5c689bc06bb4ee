// Open-loop HTTP/1.1 load at a fixed rate, for bench/webhook.sh: the latency a receiver gives
// at a rate it can hold, which wrk (closed loop: each connection waits for its answer before
// sending again) cannot measure.
//
// Request i is *scheduled* at start + i / rate. It goes out on the first idle keep-alive
// connection at or after that time, and its latency runs from the scheduled time to the last
// byte of the response. A receiver that stalls therefore gets the wait of every request that
// was due during the stall counted against it, not just the one it was serving (the
// "coordinated omission" correction, as in wrk2 and HdrHistogram).
//
// One thread, one epoll loop, no pipelining (one request in flight per connection). Responses
// are framed by their status line and Content-Length only; anything else is counted as an
// error. Plain POSIX sockets so that it builds with `g++ -O2 -std=c++20 -pthread` and nothing
// else.
//
// Usage: fixed_rate_load --port P --rate R [--host 127.0.0.1] [--path /] [--body FILE]
//          [--header 'Name: value']... [--connections 16] [--duration 10] [--warmup 1]
//          [--drain 5]
// Prints one line of key=value pairs (see print_summary); exits 1 on bad usage or when no
// connection can be opened.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/";
  std::string body;
  std::vector<std::string> headers;
  double rate = 0;       // requests per second, all connections together
  double duration = 10;  // seconds measured
  double warmup = 1;     // seconds sent before the measurement, not recorded
  double drain = 5;      // seconds to wait for answers after the last scheduled request
  int connections = 16;
};

struct Connection {
  int fd = -1;
  std::string in;            // bytes received and not yet consumed
  std::size_t out_sent = 0;  // bytes of the request written so far
  bool busy = false;
  std::int64_t scheduled_ns = 0;
};

struct Counters {
  std::uint64_t sent = 0;        // requests put on the wire (measured window)
  std::uint64_t ok = 0;          // 2xx answers (measured window)
  std::uint64_t bad_status = 0;  // other answers
  std::uint64_t io_errors = 0;   // connection closed, reset or unparseable answer
  std::uint64_t unanswered = 0;  // scheduled but not answered before the drain deadline
  std::uint64_t ok_all = 0;      // 2xx answers, warm-up included (what the receiver accepted)
  std::vector<std::int64_t> latencies_ns;  // of the 2xx answers
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "fixed_rate_load: %s\n", message.c_str());
  std::exit(1);
}

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Options parse_args(int argc, char** argv) {
  Options o;
  std::string body_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + std::string(arg));
      return argv[++i];
    };
    auto number = [&]() -> double {
      std::string text = value();
      char* end = nullptr;
      double n = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !std::isfinite(n) || n < 0) {
        die("not a non-negative number after " + std::string(arg) + ": " + text);
      }
      return n;
    };
    if (arg == "--host")
      o.host = value();
    else if (arg == "--port")
      o.port = static_cast<int>(number());
    else if (arg == "--path")
      o.path = value();
    else if (arg == "--body")
      body_file = value();
    else if (arg == "--header")
      o.headers.push_back(value());
    else if (arg == "--rate")
      o.rate = number();
    else if (arg == "--duration")
      o.duration = number();
    else if (arg == "--warmup")
      o.warmup = number();
    else if (arg == "--drain")
      o.drain = number();
    else if (arg == "--connections")
      o.connections = static_cast<int>(number());
    else
      die("unknown argument " + std::string(arg));
  }
  if (o.port <= 0 || o.port > 65535) die("--port is required (1-65535)");
  if (o.rate <= 0) die("--rate is required and must be above 0");
  if (o.duration <= 0) die("--duration must be above 0");
  if (o.connections < 1) die("--connections must be at least 1");
  if (!body_file.empty()) {
    std::FILE* f = std::fopen(body_file.c_str(), "rb");
    if (f == nullptr) die("cannot open " + body_file + ": " + std::strerror(errno));
    char chunk[4096];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) o.body.append(chunk, n);
    bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) die("cannot read " + body_file);
  }
  return o;
}

std::string build_request(const Options& o) {
  std::ostringstream r;
  r << "POST " << o.path << " HTTP/1.1\r\n"
    << "Host: " << o.host << ':' << o.port << "\r\n";
  for (const auto& h : o.headers) r << h << "\r\n";
  r << "Content-Length: " << o.body.size() << "\r\n\r\n" << o.body;
  return r.str();
}

// Blocking connect (only at start and after an error), then non-blocking for the loop.
int open_connection(const sockaddr_in& addr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return fd;
}

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

enum class Parse { kIncomplete, kComplete, kMalformed };

// Finds one whole response at the start of `buffer`: its status and its length on the wire.
Parse parse_response(std::string_view buffer, int& status, std::size_t& length, bool& closes) {
  auto head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return buffer.size() > 64 * 1024 ? Parse::kMalformed : Parse::kIncomplete;
  }
  std::string_view head = buffer.substr(0, head_end);
  // "HTTP/1.1 200 OK"
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return Parse::kMalformed;
  auto space = head.find(' ');
  if (space == std::string_view::npos || space + 4 > head.size()) return Parse::kMalformed;
  status = std::atoi(std::string(head.substr(space + 1, 3)).c_str());
  if (status < 100 || status > 599) return Parse::kMalformed;

  long content_length = -1;
  closes = false;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    std::size_t start = pos + 2;
    std::size_t next = head.find("\r\n", start);
    std::string_view line =
        head.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
    if (iequals_prefix(line, "content-length:")) {
      content_length = std::strtol(std::string(line.substr(15)).c_str(), nullptr, 10);
    } else if (iequals_prefix(line, "connection:")) {
      std::string v(line.substr(11));
      for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      closes = v.find("close") != std::string::npos;
    } else if (iequals_prefix(line, "transfer-encoding:")) {
      return Parse::kMalformed;  // chunked answers are not framed here
    }
    pos = next;
  }
  if (content_length < 0) {
    if (status == 204 || status == 304 || status < 200)
      content_length = 0;
    else
      return Parse::kMalformed;
  }
  std::size_t total = head_end + 4 + static_cast<std::size_t>(content_length);
  if (buffer.size() < total) return Parse::kIncomplete;
  length = total;
  return Parse::kComplete;
}

double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

void print_summary(const Options& o, Counters& c) {
  std::sort(c.latencies_ns.begin(), c.latencies_ns.end());
  const auto& l = c.latencies_ns;
  std::printf(
      "target_rps=%.0f achieved_rps=%.0f connections=%d duration_s=%.1f sent=%llu ok=%llu "
      "bad_status=%llu io_errors=%llu unanswered=%llu p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      "p999_ms=%.3f max_ms=%.3f ok_all=%llu\n",
      o.rate, static_cast<double>(c.ok) / o.duration, o.connections, o.duration,
      static_cast<unsigned long long>(c.sent), static_cast<unsigned long long>(c.ok),
      static_cast<unsigned long long>(c.bad_status), static_cast<unsigned long long>(c.io_errors),
      static_cast<unsigned long long>(c.unanswered), percentile_ms(l, 0.50), percentile_ms(l, 0.90),
      percentile_ms(l, 0.99), percentile_ms(l, 0.999),
      l.empty() ? 0.0 : static_cast<double>(l.back()) / 1e6,
      static_cast<unsigned long long>(c.ok_all));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  const std::string request = build_request(o);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1)
    die("--host must be an IPv4 address");

  // Timers fire within 1 µs of the deadline instead of the default 50 µs slack: a late send
  // would be charged to the receiver.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || timer < 0) die(std::string("epoll/timerfd: ") + std::strerror(errno));
  epoll_event tev{};
  tev.events = EPOLLIN;
  tev.data.u64 = UINT64_MAX;
  epoll_ctl(ep, EPOLL_CTL_ADD, timer, &tev);

  std::vector<Connection> conns(static_cast<std::size_t>(o.connections));
  std::deque<std::size_t> idle;
  auto watch = [&](std::size_t i, bool want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_MOD, conns[i].fd, &ev);
  };
  auto connect_slot = [&](std::size_t i) {
    conns[i] = Connection{};
    conns[i].fd = open_connection(addr);
    if (conns[i].fd < 0) {
      die("cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " +
          std::strerror(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    idle.push_back(i);
  };
  for (std::size_t i = 0; i < conns.size(); ++i) connect_slot(i);

  const double interval_ns = 1e9 / o.rate;
  const auto total = static_cast<std::uint64_t>(std::floor((o.warmup + o.duration) * o.rate));
  const auto first_measured = static_cast<std::uint64_t>(std::ceil(o.warmup * o.rate));
  const std::int64_t start = now_ns() + 10'000'000;  // 10 ms to settle
  auto scheduled = [&](std::uint64_t i) {
    return start + static_cast<std::int64_t>(static_cast<double>(i) * interval_ns);
  };
  const std::int64_t deadline = scheduled(total) + static_cast<std::int64_t>(o.drain * 1e9);

  Counters counters;
  counters.latencies_ns.reserve(static_cast<std::size_t>(o.duration * o.rate) + 16);
  std::uint64_t next = 0;  // index of the next request to send
  std::uint64_t in_flight = 0;
  std::vector<char> scratch(64 * 1024);

  const std::int64_t measured_from = scheduled(first_measured);
  auto measured = [&](std::int64_t sched) { return sched >= measured_from; };

  // Closes a connection that failed (or that the receiver closed) and opens a new one in its
  // place; the request it was carrying, if any, is an error.
  auto fail = [&](std::size_t i) {
    Connection& c = conns[i];
    if (c.busy) {
      --in_flight;
      if (measured(c.scheduled_ns)) ++counters.io_errors;
    } else {
      std::erase(idle, i);
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    connect_slot(i);
  };

  auto flush = [&](std::size_t i) -> bool {
    Connection& c = conns[i];
    while (c.out_sent < request.size()) {
      ssize_t n =
          send(c.fd, request.data() + c.out_sent, request.size() - c.out_sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch(i, true);
        return true;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return false;
      }
    }
    return true;
  };

  auto dispatch = [&](std::int64_t now) {
    while (next < total && scheduled(next) <= now && !idle.empty()) {
      std::size_t i = idle.front();
      idle.pop_front();
      Connection& c = conns[i];
      c.busy = true;
      c.scheduled_ns = scheduled(next);
      c.out_sent = 0;
      if (measured(c.scheduled_ns)) ++counters.sent;
      ++next;
      ++in_flight;
      if (!flush(i)) fail(i);
    }
  };

  auto on_readable = [&](std::size_t i) {
    Connection& c = conns[i];
    for (;;) {
      ssize_t n = recv(c.fd, scratch.data(), scratch.size(), 0);
      if (n > 0) {
        c.in.append(scratch.data(), static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < scratch.size()) break;
      } else if (n == 0) {
        fail(i);
        return;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else if (errno != EINTR) {
        fail(i);
        return;
      }
    }
    int status = 0;
    std::size_t length = 0;
    bool closes = false;
    Parse p = parse_response(c.in, status, length, closes);
    if (p == Parse::kIncomplete) return;
    if (p == Parse::kMalformed || !c.busy || length != c.in.size()) {
      fail(i);  // garbage, an answer nobody asked for, or bytes after it
      return;
    }
    const std::int64_t done = now_ns();
    if (status >= 200 && status < 300) ++counters.ok_all;
    if (measured(c.scheduled_ns)) {
      if (status >= 200 && status < 300) {
        ++counters.ok;
        counters.latencies_ns.push_back(done - c.scheduled_ns);
      } else {
        ++counters.bad_status;
      }
    }
    c.in.clear();
    c.busy = false;
    --in_flight;
    if (closes) {
      epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
      connect_slot(i);
    } else {
      idle.push_back(i);
    }
  };

  std::vector<epoll_event> events(static_cast<std::size_t>(o.connections) + 1);
  for (;;) {
    std::int64_t now = now_ns();
    dispatch(now);
    if (next >= total && in_flight == 0) break;
    if (now >= deadline) break;

    // Sleep until the next request is due (if a connection is free to send it), an answer
    // arrives, or the drain deadline.
    std::int64_t wake = deadline;
    if (next < total && !idle.empty()) wake = std::min(wake, scheduled(next));
    itimerspec spec{};
    spec.it_value.tv_sec = wake / 1'000'000'000;
    spec.it_value.tv_nsec = wake % 1'000'000'000;
    timerfd_settime(timer, TFD_TIMER_ABSTIME, &spec, nullptr);

    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) die(std::string("epoll_wait: ") + std::strerror(errno));
    for (int k = 0; k < n; ++k) {
      if (events[k].data.u64 == UINT64_MAX) {
        std::uint64_t expirations;
        [[maybe_unused]] auto r = read(timer, &expirations, sizeof expirations);
        continue;
      }
      auto i = static_cast<std::size_t>(events[k].data.u64);
      const std::uint32_t ready = events[k].events;
      if (ready & EPOLLOUT) {
        watch(i, false);
        if (!flush(i)) {
          fail(i);
          continue;
        }
      }
      // A hang-up or an error shows up as recv returning 0 or -1 there.
      if (ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(i);
    }
  }

  // Whatever was due and is not answered by the deadline (in flight, or never sent because
  // every connection was busy) is charged as unanswered.
  for (auto& c : conns) {
    if (c.busy && measured(c.scheduled_ns)) ++counters.unanswered;
  }
  for (std::uint64_t i = std::max(next, first_measured); i < total; ++i) ++counters.unanswered;

  print_summary(o, counters);
  for (auto& c : conns) close(c.fd);
  close(timer);
  close(ep);
  return 0;
}

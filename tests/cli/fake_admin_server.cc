#include "cli/fake_admin_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace weft::test {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    default:
      return "Other";
  }
}

}  // namespace

FakeAdminServer::FakeAdminServer(Answer answer) : answer_(std::move(answer)) {
  // Close-on-exec: a weft child must not hold the port open after the server closed it.
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("fake admin server: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeAdminServer::~FakeAdminServer() {
  stop_ = true;
  thread_.join();
  ::close(listener_);
}

std::vector<SeenRequest> FakeAdminServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeAdminServer::serve() {
  while (!stop_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, 50) != 1) continue;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    handle(connection);
    ::close(connection);
  }
}

void FakeAdminServer::handle(int connection) {
  std::string head;
  for (char buffer[4096]; head.find("\r\n\r\n") == std::string::npos;) {
    pollfd ready{connection, POLLIN, 0};
    if (::poll(&ready, 1, 10000) != 1) return;
    const ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    head.append(buffer, static_cast<std::size_t>(n));
  }
  SeenRequest request;
  const auto line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const auto space = line.find(' ');
  request.method = line.substr(0, space);
  request.target = line.substr(space + 1, line.rfind(' ') - space - 1);
  for (auto start = line_end + 2, end = head.find("\r\n", start); end != std::string::npos;
       start = end + 2, end = head.find("\r\n", start)) {
    const std::string field = head.substr(start, end - start);
    const auto colon = field.find(':');
    if (colon != std::string::npos && lower(field.substr(0, colon)) == "authorization") {
      request.authorization = field.substr(colon + 2);
    }
  }
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  answer_(request, [connection](std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  });
}

std::string http_response(int status, std::string_view body, std::string_view content_type) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
         "\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

std::string ndjson_stream_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
         "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
}

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

}  // namespace weft::test

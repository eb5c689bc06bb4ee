#pragma once

// The HTTP client's keep-alive pool: idle connections by route key (scheme, host, port and
// proxy), at most N per key, each closed once idle longer than the idle timeout. Internal to the
// client.
//
// Threading: used only on the client's executor (the sweep timer runs there too).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/http_connection.h"

namespace weft::net::client_internal {

class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  ConnectionPool(const asio::any_io_executor& executor, std::size_t max_idle_per_key,
                 std::chrono::milliseconds idle_timeout);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // The most recently used idle connection for `key` that is still usable, or null. Connections
  // found closed by the server or idle too long are closed and dropped on the way.
  std::shared_ptr<Connection> take(const std::string& key);
  // Keeps `connection` for reuse; closes it instead when `key` already has the maximum idle.
  void put(const std::string& key, std::shared_ptr<Connection> connection);
  // Closes every idle connection.
  void close_all();

  std::size_t idle_count() const;

 private:
  bool expired(const Connection& connection, std::chrono::steady_clock::time_point now) const;
  // Makes sure the sweep timer wakes when the oldest idle connection expires.
  void arm_sweep();
  void sweep();

  std::size_t max_idle_per_key_;
  std::chrono::milliseconds idle_timeout_;
  std::map<std::string, std::vector<std::shared_ptr<Connection>>> idle_;  // oldest first
  asio::steady_timer sweep_timer_;
  bool sweep_armed_ = false;
};

}  // namespace weft::net::client_internal

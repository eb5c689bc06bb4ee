#include "net/http_connection_pool.h"

#include <algorithm>
#include <utility>

namespace weft::net::client_internal {

using Clock = std::chrono::steady_clock;

ConnectionPool::ConnectionPool(const asio::any_io_executor& executor, std::size_t max_idle_per_key,
                               std::chrono::milliseconds idle_timeout)
    : max_idle_per_key_(max_idle_per_key), idle_timeout_(idle_timeout), sweep_timer_(executor) {}

ConnectionPool::~ConnectionPool() { close_all(); }

bool ConnectionPool::expired(const Connection& connection, Clock::time_point now) const {
  return now - connection.idle_since >= idle_timeout_;
}

std::shared_ptr<Connection> ConnectionPool::take(const std::string& key) {
  const auto found = idle_.find(key);
  if (found == idle_.end()) return nullptr;
  auto& connections = found->second;
  const auto now = Clock::now();
  std::shared_ptr<Connection> out;
  while (!connections.empty() && !out) {
    auto candidate = std::move(connections.back());
    connections.pop_back();
    if (!expired(*candidate, now) && candidate->reusable()) {
      out = std::move(candidate);
    } else {
      candidate->close();
    }
  }
  if (connections.empty()) idle_.erase(found);
  return out;
}

void ConnectionPool::put(const std::string& key, std::shared_ptr<Connection> connection) {
  auto& connections = idle_[key];
  if (connections.size() >= max_idle_per_key_ || !connection->tcp().socket().is_open()) {
    connection->close();
    if (connections.empty()) idle_.erase(key);
    return;
  }
  connection->idle_since = Clock::now();
  connections.push_back(std::move(connection));
  arm_sweep();
}

void ConnectionPool::close_all() {
  for (auto& [key, connections] : idle_) {
    for (auto& connection : connections) connection->close();
  }
  idle_.clear();
  sweep_timer_.cancel();
  sweep_armed_ = false;
}

std::size_t ConnectionPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [key, connections] : idle_) n += connections.size();
  return n;
}

void ConnectionPool::arm_sweep() {
  if (sweep_armed_ || idle_.empty()) return;
  auto oldest = Clock::time_point::max();
  for (const auto& [key, connections] : idle_) {
    if (!connections.empty()) oldest = std::min(oldest, connections.front()->idle_since);
  }
  if (oldest == Clock::time_point::max()) return;
  sweep_armed_ = true;
  sweep_timer_.expires_at(oldest + idle_timeout_);
  // The pool may be destroyed with the wait pending; the handler then finds nothing to lock.
  sweep_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto pool = weak.lock()) pool->sweep();
  });
}

void ConnectionPool::sweep() {
  sweep_armed_ = false;
  const auto now = Clock::now();
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& connections = it->second;
    std::erase_if(connections, [&](const std::shared_ptr<Connection>& connection) {
      if (!expired(*connection, now)) return false;
      connection->close();
      return true;
    });
    it = connections.empty() ? idle_.erase(it) : std::next(it);
  }
  arm_sweep();
}

}  // namespace weft::net::client_internal

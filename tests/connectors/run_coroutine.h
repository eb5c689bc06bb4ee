#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace weft::testing {

// Runs one connector coroutine to completion on a private io_context and returns its result.
template <typename T>
T run_coroutine(boost::asio::awaitable<T> op) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.run();
  return future.get();
}

inline void run_coroutine(boost::asio::awaitable<void> op) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.run();
  future.get();
}

}  // namespace weft::testing

#pragma once

#include <exception>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace weft::testing {

namespace detail {
template <typename T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}
}  // namespace detail

// Runs one connector coroutine to completion on a private io_context and returns its result.
// (Results need not be default-constructible, which rules out use_future.)
template <typename T>
T run_coroutine(boost::asio::awaitable<T> op) {
  boost::asio::io_context io;
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io, detail::store_result(std::move(op), &result),
                        [&error](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_coroutine(boost::asio::awaitable<void> op) {
  boost::asio::io_context io;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(op), [&error](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
}

}  // namespace weft::testing

#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <exception>
#include <optional>
#include <thread>

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

// Runs coroutines one at a time on an io_context with a thread of its own, as a pipeline's
// strand runs a connector: what a coroutine leaves running (a source's background work) goes on
// between calls. The thread stops when the runner is destroyed.
class CoroutineThread {
 public:
  CoroutineThread() = default;
  ~CoroutineThread() {
    work_.reset();
    thread_.join();
  }
  CoroutineThread(const CoroutineThread&) = delete;
  CoroutineThread& operator=(const CoroutineThread&) = delete;

  template <typename T>
  T run(boost::asio::awaitable<T> op) {
    std::optional<T> result;
    boost::asio::co_spawn(io_, detail::store_result(std::move(op), &result),
                          boost::asio::use_future)
        .get();
    return std::move(*result);
  }

  void run(boost::asio::awaitable<void> op) {
    boost::asio::co_spawn(io_, std::move(op), boost::asio::use_future).get();
  }

  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread thread_{[this] { io_.run(); }};
};

}  // namespace weft::testing

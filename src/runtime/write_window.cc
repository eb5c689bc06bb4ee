#include "runtime/write_window.h"

#include <algorithm>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/exception_text.h"

namespace weft {

namespace asio = boost::asio;

WriteWindow::WriteWindow(const asio::any_io_executor& executor, std::size_t limit)
    : executor_(executor),
      cancels_(std::max<std::size_t>(limit, 1)),
      busy_(cancels_.size(), false),
      changed_(executor) {}

asio::awaitable<bool> WriteWindow::submit(asio::awaitable<WriteOutcome> write) {
  if (cancels_.size() == 1) {
    WriteOutcome outcome = co_await std::move(write);
    if (outcome && !failure_) failure_ = std::move(outcome);
  } else {
    co_await wait_until(cancels_.size() - 1);
    if (!failure_) start(std::move(write));
  }
  co_return !failure_;
}

asio::awaitable<void> WriteWindow::drain() { co_await wait_until(0); }

asio::awaitable<void> WriteWindow::wait_until(std::size_t in_flight) {
  while (in_flight_ > in_flight) {
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      for (std::size_t i = 0; i < busy_.size(); ++i) {
        if (busy_[i]) cancels_[i].emit(asio::cancellation_type::terminal);
      }
      co_await asio::this_coro::reset_cancellation_state();  // to wait for them still
    }
    changed_.expires_at(asio::steady_timer::time_point::max());
    co_await changed_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void WriteWindow::start(asio::awaitable<WriteOutcome> write) {
  const auto slot = static_cast<std::size_t>(
      std::find(busy_.begin(), busy_.end(), false) - busy_.begin());
  busy_[slot] = true;
  ++in_flight_;
  auto done = [this, slot](std::exception_ptr error, WriteOutcome outcome) {
    if (error) outcome = "sink write crashed: " + describe_exception(error);
    if (outcome && !failure_) failure_ = std::move(outcome);
    busy_[slot] = false;
    --in_flight_;
    changed_.cancel();
  };
  asio::co_spawn(executor_, std::move(write),
                 asio::bind_cancellation_slot(cancels_[slot].slot(),
                                              asio::bind_executor(executor_, std::move(done))));
}

}  // namespace weft

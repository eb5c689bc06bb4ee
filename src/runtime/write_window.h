#pragma once

// Up to `limit` writes to a sink in flight at once, for sinks that take several
// (Sink::max_concurrent_writes): the write loop starts a write per batch and waits only when
// the window is full. Every write runs on the pipeline's writer strand, so they interleave only
// where they wait on the target.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

namespace weft {

// A write's outcome: nullopt when delivered; otherwise why the pipeline must stop ("" when it
// is stopping anyway and there is nothing to report).
using WriteOutcome = std::optional<std::string>;

class WriteWindow {
 public:
  // `executor`: the writer strand, which every call below must run on.
  WriteWindow(const boost::asio::any_io_executor& executor, std::size_t limit);

  // Hands `write` on. With a limit of 1 it runs here, to its end, before anything else the
  // caller does (a checkpoint's flush never meets a write). Otherwise it first waits until
  // fewer than `limit` writes are in flight, then starts it beside them; cancelled (the
  // pipeline aborts), that wait cancels the writes in flight and still waits for them: their
  // records must be settled, or known not to be, before the final checkpoint. False once a
  // write has failed (see failure()): submit no more.
  boost::asio::awaitable<bool> submit(boost::asio::awaitable<WriteOutcome> write);
  // Waits for every write in flight (cancelling them if the caller is cancelled, as above).
  boost::asio::awaitable<void> drain();

  // The first failed write's outcome, if any failed.
  const WriteOutcome& failure() const { return failure_; }

 private:
  boost::asio::awaitable<void> wait_until(std::size_t in_flight);
  void start(boost::asio::awaitable<WriteOutcome> write);

  boost::asio::any_io_executor executor_;
  std::vector<boost::asio::cancellation_signal> cancels_;  // one per slot
  std::vector<bool> busy_;
  std::size_t in_flight_ = 0;
  WriteOutcome failure_;
  boost::asio::steady_timer changed_;  // cancelled whenever a write ends
};

}  // namespace weft

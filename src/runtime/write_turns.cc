#include "runtime/write_turns.h"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace weft {

namespace asio = boost::asio;

WriteTurns::Ticket::Ticket(Ticket&& other) noexcept
    : turns_(std::exchange(other.turns_, nullptr)),
      place_(other.place_),
      holding_(std::exchange(other.holding_, false)) {}

WriteTurns::Ticket::~Ticket() {
  if (turns_ != nullptr) turns_->leave(*this);
}

WriteTurns::Ticket WriteTurns::join(Sequence first) { return Ticket(*this, line_.insert(first)); }

asio::awaitable<bool> WriteTurns::wait(Ticket& ticket, const std::atomic<bool>& aborting) {
  if (!changed_) {
    changed_.emplace(co_await asio::this_coro::executor);
    changed_->expires_at(asio::steady_timer::time_point::max());
  }
  while (taken_ || line_.begin() != ticket.place_) {
    if (aborting) co_return false;
    co_await changed_->async_wait(asio::as_tuple(asio::use_awaitable));
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return false;
  }
  taken_ = true;
  ticket.holding_ = true;
  co_return true;
}

void WriteTurns::leave(Ticket& ticket) {
  if (ticket.holding_) taken_ = false;
  line_.erase(ticket.place_);
  if (changed_) changed_->cancel();  // every waiter looks again
}

}  // namespace weft

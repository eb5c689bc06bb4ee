#pragma once

// In-order writes for a sink that prepares batches ahead (Sink::prepares_batches): several
// deliveries may be under way at once (one writing, the next preparing), but only one at a
// time writes, and always the oldest: the delivery of the lowest first sequence still under
// way, retries included. A batch retried after a failed load therefore never lands after a
// later batch. Dead letters being replayed (first sequence 0) go before any batch.
//
// Every call on the writer strand.

#include <atomic>
#include <optional>
#include <set>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "runtime/ack_tracker.h"

namespace weft {

class WriteTurns {
 public:
  // One delivery's place in line, from its start to its end; its turn passes on when it is
  // destroyed.
  class Ticket {
   public:
    Ticket(WriteTurns& turns, std::multiset<Sequence>::iterator place)
        : turns_(&turns), place_(place) {}
    Ticket(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class WriteTurns;
    WriteTurns* turns_;
    std::multiset<Sequence>::iterator place_;
    bool holding_ = false;
  };

  // Takes a place in line for a delivery whose batch starts at `first`. Deliveries join in the
  // order their batches came (the write loop starts them in that order).
  Ticket join(Sequence first);

  // Waits until `ticket` may write: no other delivery is writing and none before it is under
  // way. False when cancelled or when `aborting` is set meanwhile.
  boost::asio::awaitable<bool> wait(Ticket& ticket, const std::atomic<bool>& aborting);

 private:
  void leave(Ticket& ticket);

  std::multiset<Sequence> line_;
  bool taken_ = false;  // a ticket holds the turn
  std::optional<boost::asio::steady_timer> changed_;  // waits end when a ticket leaves
};

}  // namespace weft

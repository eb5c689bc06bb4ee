#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "weft/record.h"
#include "weft/status.h"

namespace weft {

struct Health {
  bool healthy = true;
  std::string reason;  // why not healthy, for /readyz and /api
};

// Work waiting upstream that a source has not read yet, as the source itself measures it.
struct Backlog {
  std::uint64_t pending = 0;  // what is unread: messages (Kafka consumer lag), WAL bytes (CDC)
  // How long the oldest unread change has waited, when the source knows (CDC: the commit time
  // of the oldest unconfirmed transaction).
  std::optional<std::chrono::milliseconds> age;
};

// Where records come from. One pipeline owns one source and calls it from one coroutine at a
// time, so implementations need no locking. Every method may be called after a failed
// connect(), and close() may be called without connect().
class Source {
 public:
  virtual ~Source() = default;

  // Opens connections and positions the source just after `checkpoint`, the last position the
  // runtime committed (nullopt on a first start).
  virtual boost::asio::awaitable<Status> connect(std::optional<Position> checkpoint) = 0;

  // Returns up to `max_records` records in source order, each with its position. Returns an
  // empty batch when nothing arrived within the source's own poll interval; the runtime calls
  // again. Honours cancellation of the awaiting coroutine (the pipeline is stopping).
  virtual boost::asio::awaitable<Result<Batch>> read_batch(std::size_t max_records) = 0;

  // True once a finite source has handed out its last record.
  virtual bool finished() const { return false; }

  // Every record up to and including `position` has been delivered, dead-lettered, filtered or
  // recognised as a duplicate: the source may forget them (confirm an LSN, delete from a buffer).
  // Positions arrive in increasing order. The runtime has already saved the position in the
  // state store, so a source with no external acknowledgement can do nothing here.
  virtual boost::asio::awaitable<Status> commit(const Position& position) = 0;

  virtual boost::asio::awaitable<void> close() = 0;

  // The runtime stopped reading because delivery is paused (the sink's circuit breaker is open,
  // the dead-letter guard tripped): true; it reads again: false. A source that data is pushed to
  // (webhooks) turns new data away meanwhile rather than take in what it cannot deliver soon;
  // sources that pull need do nothing. Called on the source's coroutine.
  virtual void set_paused(bool paused) { (void)paused; }

  // Starts the next run of a source that runs on a schedule (a REST poll) now instead of when
  // it is due; `weft trigger` calls it. Returns false when the source has no runs to start.
  // Called from the admin server's threads: implementations must be thread-safe.
  virtual bool trigger() { return false; }

  // A connector's own view of its health (e.g. replication lag past a limit), reported in
  // /readyz and /api while the pipeline runs. Called from the admin server's threads while the
  // source works on its own: implementations must be thread-safe (atomics or a mutex).
  virtual Health health() const { return {}; }

  // The source's own measure of what waits upstream, or nullopt when it cannot tell. A pipeline
  // with `freshness: {when: source_active}` counts a backlog as work to be fresh about. Called
  // from the admin server's threads: implementations must be thread-safe.
  virtual std::optional<Backlog> backlog() const { return std::nullopt; }
};

}  // namespace weft

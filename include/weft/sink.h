#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "weft/record.h"
#include "weft/source.h"
#include "weft/status.h"

namespace weft {

// The outcome of one write. When `status` is an error, no record of the batch counts as
// delivered. Otherwise every record is delivered except those listed in `failures` (for targets
// that report per-record results, so the middleware resends only those).
//
// Report an unreachable or overloaded target (connection refused, timeout, 503 for the request)
// as a retryable `status`: that is what the circuit breaker counts. A per-record failure means
// the target answered about that record; it is retried or dead-lettered, never pauses the source.
struct WriteResult {
  struct RecordFailure {
    std::size_t index;  // into the batch that was written
    Error error;
  };
  Status status;
  std::vector<RecordFailure> failures;

  static WriteResult all_delivered() { return {}; }
  static WriteResult failed(Error error) { return {Status(std::move(error)), {}}; }
};

// Where records go. A sink only writes and classifies its errors: retry, circuit breaking,
// dedupe, dead-lettering, batching and metrics belong to the runtime (DESIGN.md §4). Called from
// one strand: one call at a time unless max_concurrent_writes() says otherwise; close() may be
// called without connect().
class Sink {
 public:
  virtual ~Sink() = default;

  virtual boost::asio::awaitable<Status> connect() = 0;

  // Writes `batch`. The runtime keeps ownership and may resend some of the records after a
  // failure, so the sink only reads them (Payload caches its serialized text, which is fine).
  virtual boost::asio::awaitable<WriteResult> write_batch(const Batch& batch) = 0;

  // Makes everything reported delivered so far durable (fsync, producer flush). The runtime
  // calls it before committing a checkpoint, so a crash after the commit loses nothing.
  virtual boost::asio::awaitable<Status> flush() = 0;

  // How many write_batch() calls the runtime may have waiting at once, each on its own batch
  // (later batches go out while earlier ones await the target's confirmation). Above 1 only
  // for a sink that keeps the order of what it is handed across calls (a Kafka producer) and
  // whose flush() may run while writes wait. Batches may then settle out of order; the
  // checkpoint still never passes a record that is not settled.
  virtual std::size_t max_concurrent_writes() const { return 1; }

  // ---- Preparing the next batch while one is written (optional) ----
  // A sink that spends CPU on a batch before it talks to its target (a warehouse encoding rows
  // for a bulk load) says so here, and the runtime then overlaps that work with the write before
  // it: each batch goes to prepare() as soon as it is mapped, possibly while the previous batch
  // is still being written, and write_batch() is called one at a time, in the order the batches
  // came, retries included (so a retried batch never lands after a later one). prepare() must
  // not touch the target and must not change the batch; write_batch() later gets that batch
  // or a part of it (a retry), or never (the pipeline stopped). flush() and commit() may run
  // while a write waits on the target.
  virtual bool prepares_batches() const { return false; }
  virtual boost::asio::awaitable<void> prepare(const Batch& batch) {
    (void)batch;
    co_return;
  }

  virtual boost::asio::awaitable<void> close() = 0;

  // ---- Exactly-once into a transactional target (DESIGN.md §3.5) ----
  // A sink that writes the pipeline's position into its target in the same transaction as the
  // data (a warehouse) says so here. The runtime then connects it before the source, resumes
  // the source from stored_position() rather than from its own state store, and tells it every
  // checkpoint through commit(). A crash between the target's commit and the runtime's
  // checkpoint therefore neither loses nor re-applies a batch.
  virtual bool keeps_position() const { return false; }
  // After connect(): the position up to which the target holds everything (the last record it
  // applied, or the last checkpoint it was told, whichever came later), or nullopt when it holds
  // none yet.
  virtual boost::asio::awaitable<Result<std::optional<Position>>> stored_position() {
    co_return std::optional<Position>{};
  }
  // Every record up to `position` is settled (some may have been filtered or dead-lettered
  // without reaching the sink). Called after flush() and before the runtime saves `position`;
  // an error postpones the checkpoint.
  virtual boost::asio::awaitable<Status> commit(const Position& position) {
    (void)position;
    co_return Status{};
  }

  // As Source::health(): reported in /readyz and /api; must be thread-safe.
  virtual Health health() const { return {}; }
};

}  // namespace weft

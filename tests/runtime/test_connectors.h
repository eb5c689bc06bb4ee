#pragma once

// In-memory connectors for runtime tests: a source of numbered records that records what it was
// asked to commit, and a sink whose failures are scripted per write.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "weft/registry.h"

namespace weft::testing {

namespace asio = boost::asio;

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Shared between a test and the connector the pipeline builds, which it does not own.
struct SourceLog {
  std::mutex mutex;
  std::optional<Position> connected_at;
  std::optional<Error> connect_error;  // returned by connect() when set
  std::vector<Position> commits;
  std::atomic<std::uint64_t> produced{0};
  std::atomic<bool> closed{false};
  std::set<std::uint64_t> unparseable;  // numbers read as a row the source rejects
  std::size_t read_size = 0;            // most records per read; 0: as many as asked for
};

// Records numbered from checkpoint+1; `total` 0 means endless.
class CountingSource final : public Source {
 public:
  CountingSource(std::shared_ptr<SourceLog> log, std::uint64_t total)
      : log_(std::move(log)), total_(total) {}

  asio::awaitable<Status> connect(std::optional<Position> checkpoint) override {
    std::lock_guard lock(log_->mutex);
    if (log_->connect_error) co_return *log_->connect_error;
    log_->connected_at = checkpoint;
    next_ = checkpoint ? std::stoull(*checkpoint) + 1 : 1;
    co_return Status{};
  }
  asio::awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    co_await sleep_for(std::chrono::milliseconds(1));
    Batch b;
    const std::size_t limit = log_->read_size > 0 ? std::min(max_records, log_->read_size)
                                                  : max_records;
    while (b.size() < limit && !finished()) {
      Record r;
      r.key = std::to_string(next_);
      r.position = r.key;
      r.value = Payload::from_text("{\"n\":" + r.key + "}");
      if (log_->unparseable.count(next_) != 0) {
        r.rejected = "row " + r.key + ": 3 fields, expected 2";
        r.value = Payload::from_text(r.key + ",x,y");
      }
      b.push_back(std::move(r));
      ++next_;
    }
    log_->produced += b.size();
    co_return std::move(b);
  }
  bool finished() const override { return total_ > 0 && next_ > total_; }
  asio::awaitable<Status> commit(const Position& p) override {
    std::lock_guard lock(log_->mutex);
    log_->commits.push_back(p);
    co_return Status{};
  }
  asio::awaitable<void> close() override {
    log_->closed = true;
    co_return;
  }

 private:
  std::shared_ptr<SourceLog> log_;
  std::uint64_t total_;
  std::uint64_t next_ = 1;
};

struct SinkLog {
  std::mutex mutex;
  std::vector<std::string> delivered;            // keys, in delivery order
  std::vector<std::size_t> write_sizes;          // records per write call
  std::size_t flushes = 0;
  std::size_t delivered_at_last_flush = 0;
  // Decides the outcome of each write (called with the batch); default: all delivered.
  std::function<WriteResult(const Batch&)> script;
  std::atomic<bool> gate_closed{false};           // while true, writes wait
  std::size_t concurrency = 1;                    // what max_concurrent_writes() says
  std::chrono::milliseconds write_time{0};        // how long each write takes
  std::size_t writing = 0;                        // writes under way (under `mutex`)
  std::size_t most_writing = 0;                   // the most ever under way at once
  bool prepares = false;                          // what prepares_batches() says
  std::vector<std::string> prepared;              // each prepared batch's first key
  std::size_t prepared_while_writing = 0;         // prepares while a write was under way
  std::string unhealthy_reason;                   // under `mutex`; non-empty: health() says so
  std::atomic<bool> closed{false};
  // A target that keeps the pipeline's position (Sink::keeps_position), as a warehouse does:
  // each write stores its last record's position; commits are stored and listed.
  bool keeps_position = false;
  std::optional<Position> held;            // under `mutex`
  std::vector<Position> commits;           // under `mutex`
  std::size_t flushes_at_first_commit = 0;  // under `mutex`
};

class ScriptedSink final : public Sink {
 public:
  explicit ScriptedSink(std::shared_ptr<SinkLog> log) : log_(std::move(log)) {}

  asio::awaitable<Status> connect() override { co_return Status{}; }
  asio::awaitable<WriteResult> write_batch(const Batch& batch) override {
    while (log_->gate_closed) co_await sleep_for(std::chrono::milliseconds(2));
    if (log_->write_time.count() > 0) {
      {
        std::lock_guard lock(log_->mutex);
        log_->most_writing = std::max(log_->most_writing, ++log_->writing);
      }
      co_await sleep_for(log_->write_time);
      std::lock_guard lock(log_->mutex);
      --log_->writing;
    }
    std::lock_guard lock(log_->mutex);
    log_->write_sizes.push_back(batch.size());
    WriteResult result = log_->script ? log_->script(batch) : WriteResult::all_delivered();
    if (!result.status.ok()) co_return result;
    std::vector<bool> failed(batch.size(), false);
    for (const auto& f : result.failures) failed[f.index] = true;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!failed[i]) log_->delivered.push_back(batch[i].key);
    }
    if (log_->keeps_position && !batch.empty()) log_->held = batch.back().position;
    co_return result;
  }
  bool keeps_position() const override { return log_->keeps_position; }
  asio::awaitable<Result<std::optional<Position>>> stored_position() override {
    std::lock_guard lock(log_->mutex);
    co_return log_->held;
  }
  asio::awaitable<Status> commit(const Position& position) override {
    std::lock_guard lock(log_->mutex);
    if (log_->commits.empty()) log_->flushes_at_first_commit = log_->flushes;
    log_->commits.push_back(position);
    log_->held = position;
    co_return Status{};
  }
  Health health() const override {
    std::lock_guard lock(log_->mutex);
    return {log_->unhealthy_reason.empty(), log_->unhealthy_reason};
  }
  std::size_t max_concurrent_writes() const override { return log_->concurrency; }
  bool prepares_batches() const override { return log_->prepares; }
  asio::awaitable<void> prepare(const Batch& batch) override {
    std::lock_guard lock(log_->mutex);
    if (!batch.empty()) log_->prepared.push_back(batch.front().key);
    if (log_->writing > 0) ++log_->prepared_while_writing;
    co_return;
  }
  asio::awaitable<Status> flush() override {
    std::lock_guard lock(log_->mutex);
    ++log_->flushes;
    log_->delivered_at_last_flush = log_->delivered.size();
    co_return Status{};
  }
  asio::awaitable<void> close() override {
    log_->closed = true;
    co_return;
  }

 private:
  std::shared_ptr<SinkLog> log_;
};

}  // namespace weft::testing

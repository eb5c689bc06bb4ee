#include "connectors/sources/sql_query/sql_query_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "connectors/sources/sql_query/row_reader.h"

namespace weft::sql_query {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;

// The longest read_batch waits for the next poll before returning an empty batch, so the
// pipeline can commit, notice a stop, and a trigger() is acted on promptly.
constexpr auto kIdleSlice = std::chrono::milliseconds(250);

class SqlQuerySource final : public Source {
 public:
  SqlQuerySource(SqlQueryConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)),
        log_(ctx.logger ? ctx.logger : spdlog::default_logger()),
        reader_(make_reader(config_)) {
    if (!config_.table.empty()) {
      headers_ = Headers::share({{"_table", config_.table}});
    }
  }

  awaitable<Status> connect(std::optional<Position> checkpoint) override {
    std::string start;
    if (checkpoint) {
      auto cursor = decode_position(*checkpoint);
      if (!cursor.ok()) co_return cursor.error();
      cursor_ = std::move(*cursor);
      bound_ = Bound::kAfter;
      start = "resuming after " + *checkpoint;
    } else if (config_.initial_watermark) {
      cursor_.watermark = reader_->initial_value(*config_.initial_watermark);
      bound_ = Bound::kFrom;
      start = "from initial_watermark " + *config_.initial_watermark;
    } else {
      bound_ = Bound::kStart;
      start = "from the first row";
    }
    caught_up_ = false;
    Status opened = co_await reader_->open();
    if (!opened.ok()) co_return opened;
    log_->info("sql_query source: {} {}, watermark {}, key {}; {}", reader_->describe(),
               config_.describe_relation(), config_.watermark_column, config_.key_column, start);
    co_return Status{};
  }

  awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    if (caught_up_) {
      const auto now = SteadyClock::now();
      if (!trigger_.exchange(false) && now < next_poll_) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(std::min<SteadyClock::duration>(next_poll_ - now, kIdleSlice));
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return Error::cancelled("sql_query source: stopped while waiting to poll");
        co_return Batch{};
      }
      caught_up_ = false;
    }
    const std::size_t limit = std::max<std::size_t>(1, std::min(config_.page_size, max_records));
    auto page = co_await reader_->read_page(bound_, cursor_, limit);
    if (!page.ok()) co_return page.error();
    if (page->size() < limit) {
      // Caught up: everything there is (and has settled) was read. The wait counts from now,
      // not from the query's start, so a slow query does not make polls back to back.
      caught_up_ = true;
      next_poll_ = SteadyClock::now() + config_.poll_interval;
    }
    const auto now = Clock::now();
    Batch batch;
    batch.reserve(page->size());
    for (auto& row : *page) {
      Record& r = batch.emplace_back();
      r.key = to_text(row.cursor.key);
      r.value = Payload::from_text(std::move(row.value));
      if (headers_) r.headers = Headers(headers_);
      r.position = encode_position(row.cursor);
      // The same row version always has the same id, so an idempotency store recognises a
      // replay after a crash, while a changed row (a new watermark) is new.
      r.id = r.position;
      r.event_time = row.event_time.value_or(now);
      r.ingest_time = now;
    }
    if (!page->empty()) {
      cursor_ = std::move(page->back().cursor);
      bound_ = Bound::kAfter;
    }
    log_->debug("sql_query source: read {} rows{}", batch.size(),
                caught_up_ ? " and caught up" : "");
    co_return std::move(batch);
  }

  // Nothing to tell the database: the runtime has saved the position ("watermark saved after
  // ack"), and the next start resumes after it.
  awaitable<Status> commit(const Position&) override { co_return Status{}; }

  awaitable<void> close() override {
    reader_->close();
    co_return;
  }

  // Called from the admin server's threads: only the atomic flag is touched.
  bool trigger() override {
    trigger_ = true;
    return true;
  }

 private:
  SqlQueryConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<RowReader> reader_;
  std::shared_ptr<const Headers::List> headers_;  // null: no headers (a query, not a table)
  Bound bound_ = Bound::kStart;
  Cursor cursor_;
  bool caught_up_ = false;
  SteadyClock::time_point next_poll_{};
  std::atomic<bool> trigger_{false};
};

}  // namespace

std::unique_ptr<Source> make_sql_query_source(SqlQueryConfig config, const ConnectorContext& ctx) {
  return std::make_unique<SqlQuerySource>(std::move(config), ctx);
}

}  // namespace weft::sql_query

#include "warehouse/warehouse_sink.h"

#include <chrono>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "warehouse/prepared_batches.h"
#include "warehouse/staged_batch.h"
#include "warehouse/stored_position.h"
#include "warehouse/warehouse_connection.h"

namespace weft::warehouse {

namespace {

namespace asio = boost::asio;
using asio::awaitable;

constexpr const char* kStaging = "weft_staging";
constexpr const char* kSavepoint = "weft_load";

struct WarehouseMetrics {
  explicit WarehouseMetrics(const ConnectorContext& ctx)
      : rows(prometheus::BuildCounter()
                 .Name("weft_warehouse_rows_total")
                 .Help("Rows copied into staging tables (stage=copied) and rows the apply "
                       "statements inserted, updated or deleted in the target (stage=applied)")
                 .Register(*ctx.metrics)),
        copied(rows.Add({{"pipeline", ctx.pipeline}, {"stage", "copied"}})),
        applied(rows.Add({{"pipeline", ctx.pipeline}, {"stage", "applied"}})),
        staging_bytes(prometheus::BuildCounter()
                          .Name("weft_warehouse_staging_bytes_total")
                          .Help("Bytes sent into staging tables")
                          .Register(*ctx.metrics)
                          .Add({{"pipeline", ctx.pipeline}})),
        batch_seconds(prometheus::BuildHistogram()
                          .Name("weft_warehouse_batch_seconds")
                          .Help("One batch's transaction: staging, load, apply and checkpoint")
                          .Register(*ctx.metrics)
                          .Add({{"pipeline", ctx.pipeline}},
                               prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1,
                                                                       5, 10, 30, 120})) {}
  prometheus::Family<prometheus::Counter>& rows;
  prometheus::Counter& copied;
  prometheus::Counter& applied;
  prometheus::Counter& staging_bytes;
  prometheus::Histogram& batch_seconds;
};

// Runs on the sink's worker thread: staging is CPU work without I/O (staged_batch.h), done
// there while the writer strand waits on the database.
awaitable<StagedBatch> stage_on_worker(const Batch* batch, const WarehouseConfig* config,
                                       std::optional<std::vector<Column>> table,
                                       std::vector<bool> skip, const Dialect* dialect) {
  StagedBatch staged = stage_batch(*batch, *config, table, skip, *dialect);
  if (dialect->name() == "postgres") staged.rows.copy_text = postgres_copy_csv(staged.rows);
  co_return std::move(staged);
}

// What one load did, for the metrics.
struct LoadCounts {
  std::size_t copied = 0;
  std::size_t bytes = 0;
  std::int64_t applied = 0;
};

class WarehouseSink final : public Sink {
 public:
  WarehouseSink(WarehouseConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)),
        pipeline_(ctx.pipeline),
        log_(ctx.logger ? ctx.logger : spdlog::default_logger()),
        metrics_(ctx.metrics ? std::make_unique<WarehouseMetrics>(ctx) : nullptr),
        staging_dialect_(config_.dialect == "postgres" ? make_postgres_dialect(config_.use_merge)
                                                       : make_sqlite_dialect()) {
    config_.plan.staging = kStaging;
  }

  awaitable<Status> connect() override {
    Status s = co_await open();
    if (!s.ok()) co_return s;
    const Dialect& d = conn_->dialect();
    auto created = co_await conn_->execute(d.create_checkpoint_table());
    if (!created.ok()) co_return fail_connection(created.error(), "creating _weft_checkpoints");
    Row params{Cell(pipeline_)};
    auto rows = co_await conn_->select(d.load_checkpoint(), params);
    if (!rows.ok()) co_return fail_connection(rows.error(), "reading _weft_checkpoints");
    if (!rows->empty()) {
      HeldPosition held;
      held.position = (*rows)[0][0];
      auto applied = HeldPosition::parse_applied((*rows)[0][1].value_or(std::string("[]")));
      if (!applied.ok()) co_return applied.error();
      held.applied = std::move(*applied);
      stored_.restore(std::move(held));
    }
    if (!table_ && !config_.auto_create) {
      co_return Error::permanent("table " + d.qualified(config_.plan) +
                                 " does not exist and auto_create is false");
    }
    co_return Status{};
  }

  bool keeps_position() const override { return true; }

  awaitable<Result<std::optional<Position>>> stored_position() override {
    co_return stored_.held().position;
  }

  // Stages the batch on the worker thread while the writer strand may be loading the batch
  // before it; its write_batch() then takes the staging (PreparedBatches).
  bool prepares_batches() const override { return true; }

  awaitable<void> prepare(const Batch& batch) override {
    if (batch.empty() || !conn_ || table_stale_) co_return;  // write_batch() stages then
    std::vector<bool> skip = skipped(batch);
    const std::uint64_t schema = schema_version_;
    StagedBatch staged = co_await asio::co_spawn(
        worker_, stage_on_worker(&batch, &config_, table_, skip, staging_dialect_.get()),
        asio::use_awaitable);
    prepared_.keep(batch, schema, std::move(skip), std::move(staged));
  }

  awaitable<WriteResult> write_batch(const Batch& batch) override {
    Loading loading(*this);
    co_await commit_finished();
    Status ready;
    if (!conn_) {
      ready = co_await open();
    } else if (table_stale_) {
      ready = co_await describe();
    }
    if (!ready.ok()) co_return WriteResult::failed(ready.error());
    const auto started = std::chrono::steady_clock::now();
    std::vector<const Position*> positions;
    positions.reserve(batch.size());
    for (const Record& r : batch) positions.push_back(&r.position);
    std::vector<bool> skip = skipped(batch);
    std::optional<StagedBatch> prepared = prepared_.take(batch, schema_version_, skip);
    StagedBatch staged = prepared ? std::move(*prepared)
                                  : stage_batch(batch, config_, table_, skip, *staging_dialect_);
    LoadCounts counts;
    Result<HeldPosition> row = co_await transaction(staged, positions, batch.size(), counts);
    if (!row.ok()) co_return WriteResult::failed(row.error());
    stored_.loaded(std::move(*row), positions);
    ++loads_;
    if (metrics_) {
      metrics_->copied.Increment(static_cast<double>(counts.copied));
      metrics_->applied.Increment(static_cast<double>(counts.applied));
      metrics_->staging_bytes.Increment(static_cast<double>(counts.bytes));
      metrics_->batch_seconds.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    WriteResult result;
    result.failures = std::move(staged.failures);
    co_return result;
  }

  // Every load committed with its batch: nothing waits to be made durable.
  awaitable<Status> flush() override { co_return Status{}; }

  // While a load is under way (the runtime checkpoints while the next batch waits), the position
  // is only noted. It takes effect when that load fails; a load that commits holds a position
  // past it already (the batch came after every record the commit covers).
  awaitable<Status> commit(const Position& position) override {
    if (loading_) {
      deferred_commit_ = position;
      loads_at_deferral_ = loads_;
      co_return Status{};
    }
    Committing committing(*this);
    if (!conn_) {
      Status s = co_await open();
      if (!s.ok()) co_return s;
    }
    HeldPosition row = stored_.after_commit(position);
    auto saved = co_await conn_->execute(conn_->dialect().save_checkpoint(),
                                         checkpoint_params(row));
    if (!saved.ok()) co_return fail_connection(saved.error(), "saving the checkpoint");
    stored_.loaded(std::move(row), {});
    co_return Status{};
  }

  awaitable<void> close() override {
    conn_.reset();
    co_return;
  }

 private:
  // Marks a write under way; at its end, a commit() noted meanwhile takes effect.
  struct Loading {
    explicit Loading(WarehouseSink& sink) : sink(sink) { sink.loading_ = true; }
    ~Loading() {
      sink.loading_ = false;
      if (sink.deferred_commit_ && sink.loads_ == sink.loads_at_deferral_) {
        sink.stored_.loaded(sink.stored_.after_commit(*sink.deferred_commit_), {});
      }
      sink.deferred_commit_.reset();
    }
    WarehouseSink& sink;
  };
  // Marks a commit() using the connection; a write waits for it (commit_finished()).
  struct Committing {
    explicit Committing(WarehouseSink& sink) : sink(sink) { sink.committing_ = true; }
    ~Committing() {
      sink.committing_ = false;
      if (sink.commit_done_) sink.commit_done_->cancel();
    }
    WarehouseSink& sink;
  };

  awaitable<void> commit_finished() {
    while (committing_) {
      if (!commit_done_) commit_done_.emplace(co_await asio::this_coro::executor);
      commit_done_->expires_at(asio::steady_timer::time_point::max());
      co_await commit_done_->async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  // Which of the batch's records were loaded before a restart, to be left out.
  std::vector<bool> skipped(const Batch& batch) const {
    std::vector<bool> skip(batch.size(), false);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      skip[i] = stored_.already_loaded(batch[i].position);
    }
    return skip;
  }

  awaitable<Status> open() {
    if (config_.dialect == "postgres") {
      auto executor = co_await asio::this_coro::executor;
      auto conn = co_await connect_postgres(executor, config_.dsn, config_.use_merge);
      if (!conn.ok()) co_return conn.error();
      conn_ = std::move(*conn);
    } else {
      auto conn = open_sqlite(config_.path);
      if (!conn.ok()) co_return conn.error();
      conn_ = std::move(*conn);
    }
    co_return co_await describe();
  }

  awaitable<Status> describe() {
    auto table = co_await conn_->describe(config_.plan);
    if (!table.ok()) co_return fail_connection(table.error(), "reading the table's columns");
    table_ = std::move(*table);
    table_stale_ = false;
    ++schema_version_;
    co_return Status{};
  }

  // Drops a connection that may be broken; the next call opens a new one.
  Error fail_connection(Error error, const std::string& what) {
    if (error.retryable() || (conn_ && conn_->broken())) conn_.reset();
    return Error(error.kind(), what + ": " + error.message());
  }

  Row checkpoint_params(const HeldPosition& row) const {
    return Row{Cell(pipeline_), row.position, Cell(row.applied_text())};
  }

  // The batch's transaction: schema changes, the load (bad rows split out), the position.
  // Returns the checkpoint row it stored.
  awaitable<Result<HeldPosition>> transaction(StagedBatch& staged,
                                              const std::vector<const Position*>& positions,
                                              std::size_t size, LoadCounts& counts) {
    const Dialect& d = conn_->dialect();
    auto begun = co_await conn_->execute(d.name() == "sqlite" ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begun.ok()) co_return fail_connection(begun.error(), "starting the load");
    Status s = co_await evolve(staged);
    if (s.ok()) s = co_await load_rows(staged, 0, staged.record.size(), counts);
    std::vector<bool> rejected(size, false);
    for (const auto& f : staged.failures) rejected[f.index] = true;
    HeldPosition row = stored_.after_load(positions, rejected);
    if (s.ok()) {
      auto saved = co_await conn_->execute(d.save_checkpoint(), checkpoint_params(row));
      if (!saved.ok()) s = saved.error();
    }
    if (s.ok()) {
      auto committed = co_await conn_->execute("COMMIT");
      if (!committed.ok()) s = committed.error();
    }
    if (!s.ok()) {
      if (conn_ && !conn_->broken()) co_await conn_->execute("ROLLBACK");
      table_stale_ = true;  // schema changes were rolled back, or someone else changed it
      co_return fail_connection(s.error(), "loading into " + d.qualified(config_.plan));
    }
    if (!staged.new_columns.empty() || staged.create) table_stale_ = true;
    if (table_stale_) {
      if (staged.create) log_->info("warehouse: created table {}", d.qualified(config_.plan));
      for (const auto& c : staged.new_columns) {
        log_->info("warehouse: {} column {} ({})", staged.create ? "with" : "added", c.name,
                   to_string(c.type));
      }
      co_await describe();  // on failure the next batch reads it again
    }
    co_return std::move(row);
  }

  // Creates the table, or adds the columns the batch brought (and weft's own columns to a
  // table someone else created).
  awaitable<Status> evolve(const StagedBatch& staged) {
    const Dialect& d = conn_->dialect();
    if (staged.create) {
      LoadPlan create = config_.plan;
      create.columns = staged.new_columns;
      auto done = co_await conn_->execute(d.create_target(create));
      if (!done.ok()) co_return done.error();
      co_return Status{};
    }
    std::vector<Column> add = staged.new_columns;
    auto has = [&](const char* name) {
      for (const auto& c : *table_) {
        if (c.name == name) return true;
      }
      return false;
    };
    if (!has(kLoadedAtColumn)) add.push_back({kLoadedAtColumn, ColumnType::kTimestamp});
    if (config_.plan.deletes == DeleteHandling::kSoftDelete && !has(kDeletedAtColumn)) {
      add.push_back({kDeletedAtColumn, ColumnType::kTimestamp});
    }
    if (config_.plan.source_position && !has(kPositionColumn)) {
      add.push_back({kPositionColumn, ColumnType::kText});
    }
    for (const auto& column : add) {
      auto done = co_await conn_->execute(d.add_column(config_.plan, column));
      if (!done.ok()) co_return done.error();
    }
    co_return Status{};
  }

  // Loads staged rows [begin, end) inside a savepoint. When the database rejects them, splits
  // the range in halves until each rejected row is alone, and reports it as a failure; a
  // connection problem or a retryable error ends the whole load instead.
  awaitable<Status> load_rows(StagedBatch& staged, std::size_t begin, std::size_t end,
                              LoadCounts& counts) {
    if (begin == end) co_return Status{};
    const Dialect& d = conn_->dialect();
    const std::string savepoint = std::string(" SAVEPOINT ") + kSavepoint;
    auto marked = co_await conn_->execute("SAVEPOINT " + std::string(kSavepoint));
    if (!marked.ok()) co_return marked.error();
    Status s = co_await apply_rows(staged, begin, end, counts);
    if (s.ok()) {
      auto released = co_await conn_->execute("RELEASE" + savepoint);
      if (!released.ok()) co_return released.error();
      co_return Status{};
    }
    if (s.error().retryable() || conn_->broken()) co_return s;
    auto undone = co_await conn_->execute("ROLLBACK TO" + savepoint);
    if (!undone.ok()) co_return undone.error();
    auto released = co_await conn_->execute("RELEASE" + savepoint);
    if (!released.ok()) co_return released.error();
    if (end - begin == 1) {
      staged.failures.push_back(
          {staged.record[begin],
           Error::permanent(d.qualified(config_.plan) + " rejected the row: " +
                            s.error().message())});
      co_return Status{};
    }
    const std::size_t middle = begin + (end - begin) / 2;
    Status first = co_await load_rows(staged, begin, middle, counts);
    if (!first.ok()) co_return first;
    co_return co_await load_rows(staged, middle, end, counts);
  }

  awaitable<Status> apply_rows(const StagedBatch& staged, std::size_t begin, std::size_t end,
                               LoadCounts& counts) {
    const Dialect& d = conn_->dialect();
    auto created = co_await conn_->execute(d.create_staging(staged.plan));
    if (!created.ok()) co_return created.error();
    Result<std::size_t> loaded = std::size_t{0};
    if (begin == 0 && end == staged.record.size()) {
      loaded = co_await conn_->load(kStaging, staged.rows);
    } else {
      loaded = co_await conn_->load(kStaging, slice(staged.rows, begin, end));
    }
    if (!loaded.ok()) co_return loaded.error();
    std::int64_t applied = 0;
    for (const auto& statement : d.apply(staged.plan)) {
      auto changed = co_await conn_->execute(statement);
      if (!changed.ok()) co_return changed.error();
      applied += *changed;
    }
    counts.copied += end - begin;
    counts.bytes += *loaded;
    counts.applied += applied;
    co_return Status{};
  }

  WarehouseConfig config_;
  std::string pipeline_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<WarehouseMetrics> metrics_;
  std::unique_ptr<WarehouseConnection> conn_;
  std::optional<std::vector<Column>> table_;  // the target's columns; nullopt: not created yet
  bool table_stale_ = false;                  // table_ must be read again before the next load
  StoredPosition stored_;

  // Staging ahead (prepares_batches()): one worker thread, while the strand loads.
  std::unique_ptr<Dialect> staging_dialect_;  // the connection's may go away meanwhile
  PreparedBatches prepared_;
  std::uint64_t schema_version_ = 0;  // counts readings of table_
  bool loading_ = false;              // a write_batch() is under way
  bool committing_ = false;           // a commit() is using the connection
  std::optional<Position> deferred_commit_;
  std::uint64_t loads_ = 0;  // loads committed; with loads_at_deferral_: one since the deferral?
  std::uint64_t loads_at_deferral_ = 0;
  std::optional<asio::steady_timer> commit_done_;
  asio::thread_pool worker_{1};  // last: joined first, while what it reads still exists
};

}  // namespace

std::unique_ptr<Sink> make_warehouse_sink(WarehouseConfig config, const ConnectorContext& ctx) {
  return std::make_unique<WarehouseSink>(std::move(config), ctx);
}

}  // namespace weft::warehouse

#pragma once

// Runs `postgres_cdc` sources against a real PostgreSQL (support/postgres_server.h): each test
// gets its own database; the source runs on a one-thread io_context as the pipeline's strand
// would run it.

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/environment.h"
#include "config/pipeline_config.h"
#include "config/pipeline_loader.h"
#include "connectors/run_coroutine.h"
#include "pgcdc/cdc_config.h"
#include "pgcdc/cdc_source.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::pgcdc {

namespace asio = boost::asio;
using nlohmann::json;

class CdcSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    db_ = "t_" + std::to_string(std::hash<std::string>{}(info->name()) % 100000000);
    pg().create_database(db_);
  }

  void TearDown() override {
    close_source();
    // Slots belong to the cluster, not the database: the next test in this process starts clean.
    sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active");
  }

  static test::PostgresServer& pg() { return test::PostgresServer::shared(); }
  test::PostgresServer::Rows sql(const std::string& statement) {
    return pg().execute(statement, db_);
  }
  std::string scalar(const std::string& statement) { return pg().scalar(statement, db_); }

  // The source block (without `type:`/`dsn:`) validated like a pipeline file.
  std::unique_ptr<Source> make_source(const std::string& block, const std::string& dsn = "") {
    std::string text = "name: cdc\nsource:\n  type: postgres_cdc\n  dsn: '" +
                       (dsn.empty() ? pg().conninfo(db_) : dsn) + "'\n";
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);) text += "  " + line + "\n";
    text += "sink:\n  type: file\n  path: out.jsonl\n";
    auto loaded =
        load_pipeline_file(temp_.write("p.yaml", text), builtin_registry(), Environment::process());
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
    if (!loaded.ok()) return nullptr;
    auto config = CdcConfig::from(loaded.value->source.settings, "cdc");
    EXPECT_TRUE(config.ok()) << config.error().message();
    if (!config.ok()) return nullptr;
    ConnectorContext context;
    context.pipeline = "cdc";
    context.connector = "postgres_cdc";
    context.logger = spdlog::default_logger();
    context.metrics = &registry_;
    return make_cdc_source(std::move(*config), context);
  }

  template <typename T>
  T run(asio::awaitable<T> op) {
    return runner_.run(std::move(op));
  }

  void run(asio::awaitable<void> op) { runner_.run(std::move(op)); }

  Status start(const std::string& block, std::optional<Position> checkpoint = std::nullopt,
               const std::string& dsn = "") {
    close_source();
    source_ = make_source(block, dsn);
    if (!source_) return Error::invalid_config("the block does not validate");
    return run(source_->connect(std::move(checkpoint)));
  }

  void close_source() {
    if (!source_) return;
    runner_.run(source_->close());
    source_.reset();
  }

  // Reads until `count` records arrived (or ~20 s of empty reads passed), as the pipeline would.
  std::vector<Record> read(std::size_t count, std::size_t batch = 1000) {
    std::vector<Record> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (out.size() < count && !source_->finished() &&
           std::chrono::steady_clock::now() < deadline) {
      Result<Batch> r = run(source_->read_batch(std::min(batch, count - out.size())));
      if (!r.ok()) {
        errors_.push_back(r.error());
        continue;
      }
      for (auto& record : *r) out.push_back(std::move(record));
    }
    return out;
  }

  // Records that arrive within `reads` reads (each waits at most a quarter second when idle).
  std::size_t read_idle(int reads = 4) {
    std::size_t n = 0;
    for (int i = 0; i < reads; ++i) {
      Result<Batch> r = run(source_->read_batch(1000));
      if (r.ok()) n += r->size();
    }
    return n;
  }

  Status commit(const Position& position) { return run(source_->commit(position)); }

  // The slot's confirmed_flush_lsn as Postgres reports it.
  std::string confirmed_flush(const std::string& slot = "weft_cdc") {
    return scalar(
        "SELECT coalesce(confirmed_flush_lsn::text, '') FROM pg_replication_slots "
        "WHERE slot_name = '" +
        slot + "'");
  }

  // Polls until `predicate` holds (reading from the source meanwhile, so it keeps talking to
  // the server); false after ~15 s.
  template <typename Predicate>
  bool eventually(Predicate predicate) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (predicate()) return true;
      (void)read_idle(1);
    }
    return predicate();
  }

  std::string metrics() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  static json value(const Record& r) { return json::parse(r.value.text()); }

  std::string db_;
  std::vector<Error> errors_;
  test::TempDir temp_;
  prometheus::Registry registry_;
  testing::CoroutineThread runner_;  // the source's strand
  std::unique_ptr<Source> source_;
};

}  // namespace weft::pgcdc

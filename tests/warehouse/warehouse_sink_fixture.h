#pragma once

// The warehouse sink's test fixture: one sink configuration per test, against a real
// PostgreSQL (started once for the binary) or a SQLite file, and SQL from outside the sink
// to see what a user would see in the table.
#include <sqlite3.h>

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "connectors/run_coroutine.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"
#include "warehouse/warehouse_sink.h"

namespace weft::warehouse {

using Rows = std::vector<std::vector<std::string>>;  // NULL reads "NULL"

inline Record rec(nlohmann::json value, std::string position,
                  Operation op = Operation::kUpdate) {
  Record r;
  r.value = Payload::from_json(std::move(value));
  r.position = std::move(position);
  r.op = op;
  return r;
}

class WarehouseSinkTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    config_.dialect = GetParam();
    if (postgres()) {
      db_ = "wh_sink_" + std::to_string(counter++);
      pg().create_database(db_);
      config_.dsn = pg().conninfo(db_);
    } else {
      config_.path = dir_.file("warehouse.db");
    }
    config_.plan.table = "customers";
    config_.plan.mode = WriteMode::kMerge;
    config_.plan.key = {"id"};
    config_.plan.deletes = DeleteHandling::kDelete;
    ctx_.pipeline = "crm";
  }
  void TearDown() override {
    if (sqlite_ != nullptr) sqlite3_close(sqlite_);
  }

  // Runs a sink call on the fixture's io_context, which outlives the calls: a PostgreSQL
  // connection stays bound to the context it was opened on.
  template <typename T>
  T run_coroutine(boost::asio::awaitable<T> op) {
    std::optional<T> result;
    std::exception_ptr error;
    boost::asio::co_spawn(io_, weft::testing::detail::store_result(std::move(op), &result),
                          [&error](std::exception_ptr e) { error = e; });
    io_.restart();
    io_.run();
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }

  void run_coroutine(boost::asio::awaitable<void> op) {
    std::exception_ptr error;
    boost::asio::co_spawn(io_, std::move(op), [&error](std::exception_ptr e) { error = e; });
    io_.restart();
    io_.run();
    if (error) std::rethrow_exception(error);
  }

  bool postgres() const { return GetParam() == "postgres"; }
  static test::PostgresServer& pg() { return test::PostgresServer::shared(); }

  std::unique_ptr<Sink> connected_sink() {
    auto sink = make_warehouse_sink(config_, ctx_);
    Status s = run_coroutine(sink->connect());
    EXPECT_TRUE(s.ok()) << s.error().message();
    return sink;
  }

  WriteResult write(Sink& sink, const Batch& batch) {
    auto result = run_coroutine(sink.write_batch(batch));
    EXPECT_TRUE(result.status.ok()) << result.status.error().message();
    return result;
  }

  // Runs SQL on the warehouse from outside the sink, the way a user inspects it.
  Rows sql(const std::string& statement) {
    Rows out;
    if (postgres()) {
      for (auto& row : pg().execute(statement, db_)) {
        std::vector<std::string> cells;
        for (auto& c : row) cells.push_back(c.value_or("NULL"));
        out.push_back(std::move(cells));
      }
      return out;
    }
    if (sqlite_ == nullptr) sqlite3_open(config_.path.c_str(), &sqlite_);
    char* error = nullptr;
    sqlite3_exec(
        sqlite_, statement.c_str(),
        [](void* rows, int n, char** values, char**) {
          std::vector<std::string> cells;
          for (int i = 0; i < n; ++i) cells.push_back(values[i] ? values[i] : "NULL");
          static_cast<Rows*>(rows)->push_back(std::move(cells));
          return 0;
        },
        &out, &error);
    if (error != nullptr) {
      ADD_FAILURE() << statement << ": " << error;
      sqlite3_free(error);
    }
    return out;
  }

  std::string stored(Sink& sink) {
    auto held = run_coroutine(sink.stored_position());
    EXPECT_TRUE(held.ok());
    return held.ok() && *held ? **held : "(none)";
  }

  boost::asio::io_context io_;
  WarehouseConfig config_;
  ConnectorContext ctx_;
  std::string db_;
  test::TempDir dir_;
  sqlite3* sqlite_ = nullptr;
};

}  // namespace weft::warehouse

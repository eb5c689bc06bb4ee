#pragma once

// Runs `sql_query` sources against a real database of either dialect: a fresh PostgreSQL
// database (support/postgres_server.h) or a fresh SQLite file per test. The source is built
// from a pipeline file through the registry, as the daemon builds it, and runs on a one-thread
// io_context as the pipeline's strand would run it.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/environment.h"
#include "config/pipeline_config.h"
#include "connectors/run_coroutine.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::sql_query {

enum class TestDialect { kPostgres, kSqlite };

inline std::string dialect_name(TestDialect d) {
  return d == TestDialect::kPostgres ? "postgres" : "sqlite";
}

// Runs SQL on an SQLite file with a connection of its own (as another application would).
// Throws std::runtime_error with SQLite's message.
inline void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::string error;
  if (rc == SQLITE_OK) {
    char* message = nullptr;
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    if (message != nullptr) {
      error = message;
      sqlite3_free(message);
    }
  } else {
    error = sqlite3_errstr(rc);
  }
  sqlite3_close_v2(db);
  if (rc != SQLITE_OK) throw std::runtime_error("sqlite: " + error + " in: " + sql);
}

class SqlQueryTestBase {
 protected:
  explicit SqlQueryTestBase(TestDialect dialect) : dialect_(dialect) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (dialect_ == TestDialect::kPostgres) {
      db_ = "sq_" + std::to_string(std::hash<std::string>{}(std::string(info->test_suite_name()) +
                                                            "." + info->name()) %
                                   100000000);
      pg().create_database(db_);
    }
  }

  ~SqlQueryTestBase() { close_source(); }

  static test::PostgresServer& pg() { return test::PostgresServer::shared(); }

  bool postgres() const { return dialect_ == TestDialect::kPostgres; }
  std::string sqlite_path() const { return temp_.file("app.db"); }

  // Runs statements in the test's database, as the application that owns the data would.
  void sql(const std::string& statements) {
    if (postgres()) {
      pg().execute(statements, db_);
    } else {
      sqlite_exec(sqlite_path(), statements);
    }
  }
  // One statement per dialect, for what the two spell differently.
  void sql(const std::string& for_postgres, const std::string& for_sqlite) {
    sql(postgres() ? for_postgres : for_sqlite);
  }

  // The lines that say where the data is, for the source block.
  std::string connection_yaml(const std::string& dsn = "") const {
    if (postgres()) {
      return "dialect: postgres\ndsn: '" + (dsn.empty() ? pg().conninfo(db_) : dsn) + "'\n";
    }
    return "dialect: sqlite\npath: '" + sqlite_path() + "'\n";
  }

  // The source block (after `type:`) validated like a pipeline file; null (and a test failure)
  // when it does not validate.
  std::unique_ptr<Source> make_source(const std::string& block) {
    std::string text = "name: sq\nsource:\n  type: sql_query\n";
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);) text += "  " + line + "\n";
    text += "sink:\n  type: file\n  path: out.jsonl\n";
    auto loaded =
        load_pipeline_file(temp_.write("p.yaml", text), builtin_registry(), Environment::process());
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
    if (!loaded.ok()) return nullptr;
    ConnectorContext context;
    context.pipeline = "sq";
    context.connector = "sql_query";
    context.logger = spdlog::default_logger();
    const auto* info = builtin_registry().find(ConnectorKind::kSource, "sql_query");
    auto made = info->make_source(loaded.value->source.settings, context);
    EXPECT_TRUE(made.ok()) << made.error().message();
    if (!made.ok()) return nullptr;
    return std::move(*made);
  }

  // Builds a source from connection_yaml() + `block` and connects it.
  Status start(const std::string& block, std::optional<Position> checkpoint = std::nullopt,
               const std::string& dsn = "") {
    close_source();
    source_ = make_source(connection_yaml(dsn) + block);
    if (!source_) return Error::invalid_config("the block does not validate");
    return run(source_->connect(std::move(checkpoint)));
  }

  void close_source() {
    if (!source_) return;
    runner_.run(source_->close());
    source_.reset();
  }

  template <typename T>
  T run(boost::asio::awaitable<T> op) {
    return runner_.run(std::move(op));
  }
  void run(boost::asio::awaitable<void> op) { runner_.run(std::move(op)); }

  Result<Batch> read_batch(std::size_t max_records = 1000) {
    return run(source_->read_batch(max_records));
  }

  // Reads until the source has nothing more (an empty batch: caught up), as the pipeline
  // would; read errors fail the test.
  std::vector<Record> drain(std::size_t max_records = 1000) {
    std::vector<Record> out;
    for (int reads = 0; reads < 100000; ++reads) {
      Result<Batch> r = read_batch(max_records);
      if (!r.ok()) {
        ADD_FAILURE() << "read failed: " << r.error().message();
        break;
      }
      if (r->empty()) break;
      for (auto& record : *r) out.push_back(std::move(record));
    }
    return out;
  }

  // Asks for a poll now (as `weft trigger` does) and reads what it finds.
  std::vector<Record> poll() {
    EXPECT_TRUE(source_->trigger());
    return drain();
  }

  static nlohmann::json value(const Record& r) { return nlohmann::json::parse(r.value.text()); }
  static std::vector<std::string> keys(const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.key);
    return out;
  }

  TestDialect dialect_;
  std::string db_;
  test::TempDir temp_;
  testing::CoroutineThread runner_;  // the source's strand
  std::unique_ptr<Source> source_;
};

// For tests that run the same behaviour against both dialects.
class SqlQuerySourceTest : public SqlQueryTestBase, public ::testing::TestWithParam<TestDialect> {
 protected:
  SqlQuerySourceTest() : SqlQueryTestBase(GetParam()) {}
};

// For tests of one dialect's own behaviour (its types).
class PostgresSqlQueryTest : public SqlQueryTestBase, public ::testing::Test {
 protected:
  PostgresSqlQueryTest() : SqlQueryTestBase(TestDialect::kPostgres) {}
};
class SqliteSqlQueryTest : public SqlQueryTestBase, public ::testing::Test {
 protected:
  SqliteSqlQueryTest() : SqlQueryTestBase(TestDialect::kSqlite) {}
};

}  // namespace weft::sql_query

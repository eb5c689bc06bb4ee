// The warehouse SQL run against real databases: PostgreSQL (MERGE and ON CONFLICT) and SQLite.
// The staging rows are written with literal INSERTs here; the sink itself will COPY them.
#include "warehouse/dialect.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/postgres_server.h"

namespace weft::warehouse {
namespace {

using Rows = std::vector<std::vector<std::string>>;  // SQL NULL reads "NULL"

// A database to run the generated statements in.
class Database {
 public:
  virtual ~Database() = default;
  // Runs `statements` in one transaction; throws with the database's message.
  virtual void transaction(const std::vector<std::string>& statements) = 0;
  virtual Rows query(const std::string& sql) = 0;
  // Runs one statement with text parameters ($n or ?n) bound; returns its rows.
  virtual Rows with_params(const std::string& sql, const std::vector<std::string>& params) = 0;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase() {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK) throw std::runtime_error("sqlite open");
  }
  ~SqliteDatabase() override { sqlite3_close(db_); }
  void transaction(const std::vector<std::string>& statements) override {
    std::string sql = "BEGIN;";
    for (const auto& s : statements) sql += s + ";";
    sql += "COMMIT;";
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw std::runtime_error(message + " in: " + sql);
    }
  }
  Rows query(const std::string& sql) override {
    Rows rows;
    auto collect = [](void* out, int n, char** values, char**) {
      auto& r = *static_cast<Rows*>(out);
      r.emplace_back();
      for (int i = 0; i < n; ++i) r.back().push_back(values[i] != nullptr ? values[i] : "NULL");
      return 0;
    };
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), collect, &rows, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      throw std::runtime_error(message + " in: " + sql);
    }
    return rows;
  }
  Rows with_params(const std::string& sql, const std::vector<std::string>& params) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    Rows rows;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      rows.emplace_back();
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        rows.back().push_back(text != nullptr ? reinterpret_cast<const char*>(text) : "NULL");
      }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string(sqlite3_errmsg(db_)));
    return rows;
  }

 private:
  sqlite3* db_ = nullptr;
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(std::string name) : name_(std::move(name)) {
    test::PostgresServer::shared().create_database(name_);
  }
  void transaction(const std::vector<std::string>& statements) override {
    std::string sql = "BEGIN;";
    for (const auto& s : statements) sql += s + ";";
    test::PostgresServer::shared().execute(sql + "COMMIT;", name_);
  }
  Rows query(const std::string& sql) override {
    Rows rows;
    for (const auto& row : test::PostgresServer::shared().execute(sql, name_)) {
      rows.emplace_back();
      for (const auto& value : row) rows.back().push_back(value.value_or("NULL"));
    }
    return rows;
  }
  // PREPARE / EXECUTE binds the $n parameters on the server, as PQexecParams would.
  Rows with_params(const std::string& sql, const std::vector<std::string>& params) override {
    std::string types;
    std::string values;
    for (const auto& p : params) {
      types += std::string(types.empty() ? "" : ", ") + "text";
      std::string literal = "'";
      for (char c : p) literal += c == '\'' ? std::string("''") : std::string(1, c);
      values += (values.empty() ? "" : ", ") + literal + "'";
    }
    return query("PREPARE statement (" + types + ") AS " + sql + "; EXECUTE statement (" + values +
                 ")");
  }

 private:
  std::string name_;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<Dialect>()> dialect;
  std::function<std::unique_ptr<Database>(const std::string& test)> database;
};

std::string database_name(const std::string& setup, const std::string& test) {
  std::string out = "wh_" + setup + "_" + test;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out.substr(0, 63);
}

const std::vector<Backend>& backends() {
  static const std::vector<Backend> all = {
      {"postgres_merge", [] { return make_postgres_dialect(true); },
       [](const std::string& test) {
         return std::make_unique<PostgresDatabase>(database_name("merge", test));
       }},
      {"postgres_on_conflict", [] { return make_postgres_dialect(false); },
       [](const std::string& test) {
         return std::make_unique<PostgresDatabase>(database_name("upsert", test));
       }},
      {"sqlite", [] { return make_sqlite_dialect(); },
       [](const std::string&) { return std::make_unique<SqliteDatabase>(); }},
  };
  return all;
}

// One staging row: op, then the data values as SQL literals in column order.
struct Staged {
  std::string op;
  std::vector<std::string> values;
};

class DialectTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override {
    const Backend& backend = backends()[GetParam()];
    dialect_ = backend.dialect();
    db_ = backend.database(::testing::UnitTest::GetInstance()->current_test_info()->name());
    plan_.table = "customers";
    plan_.staging = "customers_stage";
    plan_.columns = {
        {"id", ColumnType::kBigint}, {"name", ColumnType::kText}, {"score", ColumnType::kDouble}};
    plan_.key = {"id"};
  }

  // One load: staging created, filled, applied, in one transaction.
  void load(const std::vector<Staged>& rows) {
    std::vector<std::string> statements = {dialect_->create_target(plan_),
                                           dialect_->create_staging(plan_)};
    std::string columns;
    for (const auto& c : plan_.columns) columns += dialect_->quote(c.name) + ", ";
    columns += dialect_->quote(kOpColumn) + ", " + dialect_->quote(kSequenceColumn);
    if (plan_.source_position) columns += ", " + dialect_->quote(kPositionColumn);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::string values;
      for (const auto& v : rows[i].values) values += v + ", ";
      values += "'" + rows[i].op + "', " + std::to_string(i);
      if (plan_.source_position) values += ", 'pos-" + std::to_string(seq_++) + "'";
      statements.push_back("INSERT INTO " + dialect_->quote(plan_.staging) + " (" + columns +
                           ") VALUES (" + values + ")");
    }
    for (auto& s : dialect_->apply(plan_)) statements.push_back(std::move(s));
    db_->transaction(statements);
    // _loaded_at has millisecond resolution in SQLite: keep loads apart.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  // id -> "name|score|_deleted_at" (deleted only with soft deletes).
  std::map<std::string, std::string> table() {
    std::string sql = "SELECT id, name, score";
    if (plan_.deletes == DeleteHandling::kSoftDelete) {
      sql += ", CASE WHEN _deleted_at IS NULL THEN 'live' ELSE 'deleted' END";
    }
    sql += " FROM " + dialect_->qualified(plan_) + " ORDER BY id";
    std::map<std::string, std::string> out;
    // SQLite prints a REAL 4 as "4.0", PostgreSQL a double precision 4 as "4".
    auto number = [](std::string text) {
      if (text.ends_with(".0")) text.resize(text.size() - 2);
      return text;
    };
    for (const auto& row : db_->query(sql)) {
      std::string rest = row[1] + "|" + number(row[2]);
      for (std::size_t i = 3; i < row.size(); ++i) rest += "|" + row[i];
      out[row[0]] = rest;
    }
    return out;
  }

  std::string loaded_at(const std::string& id) {
    return db_->query("SELECT _loaded_at FROM " + dialect_->qualified(plan_) +
                      " WHERE id = " + id)[0][0];
  }

  std::unique_ptr<Dialect> dialect_;
  std::unique_ptr<Database> db_;
  LoadPlan plan_;
  int seq_ = 0;
};

TEST_P(DialectTest, MergeKeepsTheLatestVersionOfEachKeyInABatch) {
  load({{"upsert", {"1", "'ann'", "1.5"}},
        {"upsert", {"2", "'bob'", "2"}},
        {"upsert", {"1", "'anna'", "3"}},
        {"upsert", {"1", "'annie'", "4"}}});
  EXPECT_EQ(table(), (std::map<std::string, std::string>{{"1", "annie|4"}, {"2", "bob|2"}}))
      << "MERGE never saw a key twice";
}

TEST_P(DialectTest, UnchangedRowsAreNotRewritten) {
  load({{"upsert", {"1", "'ann'", "1"}}, {"upsert", {"2", "'bob'", "2"}}});
  const std::string ann = loaded_at("1");
  const std::string bob = loaded_at("2");
  load({{"upsert", {"1", "'ann'", "1"}}, {"upsert", {"2", "'bobby'", "2"}}});
  EXPECT_EQ(loaded_at("1"), ann) << "same values: the row is left alone";
  EXPECT_NE(loaded_at("2"), bob);
  EXPECT_EQ(table(), (std::map<std::string, std::string>{{"1", "ann|1"}, {"2", "bobby|2"}}));
}

TEST_P(DialectTest, NullsCompareAsValues) {
  load({{"upsert", {"1", "NULL", "1"}}});
  const std::string first = loaded_at("1");
  load({{"upsert", {"1", "NULL", "1"}}});
  EXPECT_EQ(loaded_at("1"), first) << "NULL to NULL is no change";
  load({{"upsert", {"1", "'ann'", "1"}}});
  EXPECT_EQ(table(), (std::map<std::string, std::string>{{"1", "ann|1"}}));
}

TEST_P(DialectTest, DeletesRemoveRowsAndTheLatestOpWins) {
  plan_.deletes = DeleteHandling::kDelete;
  load({{"upsert", {"1", "'ann'", "1"}},
        {"upsert", {"2", "'bob'", "2"}},
        {"upsert", {"3", "'cy'", "3"}}});
  load({{"delete", {"1", "NULL", "NULL"}},
        {"delete", {"3", "NULL", "NULL"}},
        {"upsert", {"3", "'cyd'", "4"}},  // deleted, then created again: it stays
        {"upsert", {"4", "'dee'", "5"}},
        {"delete", {"4", "NULL", "NULL"}},    // created, then deleted: never there
        {"delete", {"9", "NULL", "NULL"}}});  // a key that never existed
  EXPECT_EQ(table(), (std::map<std::string, std::string>{{"2", "bob|2"}, {"3", "cyd|4"}}));
}

TEST_P(DialectTest, SoftDeletesMarkRowsAndAnUpsertRevivesThem) {
  plan_.deletes = DeleteHandling::kSoftDelete;
  load({{"upsert", {"1", "'ann'", "1"}}, {"upsert", {"2", "'bob'", "2"}}});
  load({{"delete", {"1", "NULL", "NULL"}}});
  EXPECT_EQ(table(),
            (std::map<std::string, std::string>{{"1", "ann|1|deleted"}, {"2", "bob|2|live"}}));
  const std::string deleted_at = loaded_at("1");
  load({{"delete", {"1", "NULL", "NULL"}}});
  EXPECT_EQ(loaded_at("1"), deleted_at) << "deleting a deleted row changes nothing";
  load({{"upsert", {"1", "'ann'", "1"}}});
  EXPECT_EQ(table(), (std::map<std::string, std::string>{{"1", "ann|1|live"}, {"2", "bob|2|live"}}))
      << "the same values, but the row was deleted: it is revived";
}

TEST_P(DialectTest, AppendAddsEveryRecordInOrder) {
  plan_.mode = WriteMode::kAppend;
  plan_.key.clear();
  plan_.source_position = true;
  load({{"upsert", {"1", "'ann'", "1"}},
        {"upsert", {"1", "'anna'", "2"}},
        {"delete", {"1", "NULL", "NULL"}}});
  const Rows rows = db_->query("SELECT id, name, _source_position FROM " +
                               dialect_->qualified(plan_) + " ORDER BY _source_position");
  EXPECT_EQ(rows, (Rows{{"1", "ann", "pos-0"}, {"1", "anna", "pos-1"}}))
      << "deletes are not rows of an append table";
}

TEST_P(DialectTest, TheSourcePositionIsKeptButIsNoChangeByItself) {
  plan_.source_position = true;
  load({{"upsert", {"1", "'ann'", "1"}}});
  const std::string first = loaded_at("1");
  load({{"upsert", {"1", "'ann'", "1"}}});
  EXPECT_EQ(loaded_at("1"), first);
  load({{"upsert", {"1", "'anna'", "1"}}});
  EXPECT_EQ(db_->query("SELECT _source_position FROM " + dialect_->qualified(plan_))[0][0],
            "pos-2");
}

TEST_P(DialectTest, HostileIdentifiersAreInert) {
  plan_.table = "orders\"; DROP TABLE victims; --";
  plan_.staging = "stage \"x\"";
  plan_.columns = {{"id", ColumnType::kBigint},
                   {"na\"me", ColumnType::kText},
                   {"score); DROP TABLE victims; --", ColumnType::kDouble}};
  db_->transaction({"CREATE TABLE victims (x int)"});
  load({{"upsert", {"1", "'ann'", "1"}}, {"upsert", {"1", "'x''); DROP TABLE victims; --'", "2"}}});
  EXPECT_EQ(db_->query("SELECT count(*) FROM victims")[0][0], "0") << "still there";
  const Rows rows = db_->query("SELECT id, \"na\"\"me\" FROM " + dialect_->qualified(plan_));
  EXPECT_EQ(rows, (Rows{{"1", "x'); DROP TABLE victims; --"}}));
}

TEST_P(DialectTest, AddedColumnsTakeNewFieldsAndOldRowsReadNull) {
  load({{"upsert", {"1", "'ann'", "1"}}});
  const Column tier{"tier", ColumnType::kText};
  db_->transaction({dialect_->add_column(plan_, tier)});
  plan_.columns.push_back(tier);
  load({{"upsert", {"2", "'bob'", "2", "'gold'"}}});
  EXPECT_EQ(db_->query("SELECT id, tier FROM " + dialect_->qualified(plan_) + " ORDER BY id"),
            (Rows{{"1", "NULL"}, {"2", "gold"}}));
}

TEST_P(DialectTest, CompositeKeysMatchOnEveryColumn) {
  plan_.columns = {
      {"id", ColumnType::kBigint}, {"region", ColumnType::kText}, {"name", ColumnType::kText}};
  plan_.key = {"id", "region"};
  load({{"upsert", {"1", "'eu'", "'a'"}}, {"upsert", {"1", "'us'", "'b'"}}});
  load({{"upsert", {"1", "'eu'", "'c'"}}});
  EXPECT_EQ(
      db_->query("SELECT id, region, name FROM " + dialect_->qualified(plan_) + " ORDER BY region"),
      (Rows{{"1", "eu", "c"}, {"1", "us", "b"}}));
}

TEST_P(DialectTest, CheckpointsAreSavedAndReadByPipeline) {
  db_->transaction({dialect_->create_checkpoint_table(), dialect_->create_checkpoint_table()});
  EXPECT_TRUE(db_->with_params(dialect_->load_checkpoint(), {"orders"}).empty());
  db_->with_params(dialect_->save_checkpoint(), {"orders", "0/16B3748", "[\"0/16B3800\"]"});
  db_->with_params(dialect_->save_checkpoint(), {"orders", "0/16B37A0", "[]"});
  db_->with_params(dialect_->save_checkpoint(), {"users", "o'brien", "[\"x\"]"});
  EXPECT_EQ(db_->with_params(dialect_->load_checkpoint(), {"orders"}),
            (Rows{{"0/16B37A0", "[]"}}));
  EXPECT_EQ(db_->with_params(dialect_->load_checkpoint(), {"users"}),
            (Rows{{"o'brien", "[\"x\"]"}}));
}

INSTANTIATE_TEST_SUITE_P(Dialects, DialectTest, ::testing::Range<std::size_t>(0, 3),
                         [](const auto& info) { return backends()[info.param].name; });

TEST(Dialect, IdentifiersWeftCannotUseAreRefusedByName) {
  auto postgres = make_postgres_dialect();
  EXPECT_FALSE(postgres->check_identifier("", "column").ok());
  EXPECT_EQ(postgres->check_identifier(std::string("a\0b", 3), "column").error().message(),
            "column name holds a NUL byte");
  EXPECT_EQ(postgres->check_identifier("_weft_op", "column").error().message(),
            "column name '_weft_op' starts with _weft_, which weft keeps for its own columns");
  EXPECT_EQ(postgres->check_identifier(std::string(64, 'x'), "table").error().message(),
            "table name '" + std::string(64, 'x') + "' is longer than PostgreSQL's 63 bytes");
  EXPECT_TRUE(postgres->check_identifier(std::string(63, 'x'), "table").ok());
  EXPECT_TRUE(make_sqlite_dialect()->check_identifier(std::string(64, 'x'), "table").ok());
  EXPECT_EQ(postgres->quote("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace weft::warehouse

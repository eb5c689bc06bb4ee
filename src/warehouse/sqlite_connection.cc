// The warehouse connection for SQLite: the embedded default. Staging rows go in through one
// prepared INSERT reused for every row, inside the load's transaction.
#include <sqlite3.h>

#include <utility>

#include "warehouse/warehouse_connection.h"

namespace weft::warehouse {

namespace {

using boost::asio::awaitable;

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

class SqliteConnection final : public WarehouseConnection {
 public:
  SqliteConnection(sqlite3* db, std::string path)
      : db_(db), path_(std::move(path)), dialect_(make_sqlite_dialect()) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  const Dialect& dialect() const override { return *dialect_; }

  awaitable<Result<std::int64_t>> execute(const std::string& sql, const Row& params) override {
    auto stmt = prepare(sql);
    if (!stmt.ok()) co_return stmt.error();
    if (Status s = bind(stmt->get(), params); !s.ok()) co_return s.error();
    for (;;) {
      const int rc = sqlite3_step(stmt->get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) co_return failure(rc);
    }
    co_return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  awaitable<Result<std::vector<Row>>> select(const std::string& sql, const Row& params) override {
    auto stmt = prepare(sql);
    if (!stmt.ok()) co_return stmt.error();
    if (Status s = bind(stmt->get(), params); !s.ok()) co_return s.error();
    std::vector<Row> rows;
    for (;;) {
      const int rc = sqlite3_step(stmt->get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) co_return failure(rc);
      Row row;
      for (int i = 0; i < sqlite3_column_count(stmt->get()); ++i) {
        const auto* text = sqlite3_column_text(stmt->get(), i);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt->get(), i));
        if (text == nullptr) {
          row.emplace_back();
        } else {
          row.emplace_back(std::string(reinterpret_cast<const char*>(text), size));
        }
      }
      rows.push_back(std::move(row));
    }
    co_return std::move(rows);
  }

  awaitable<Result<std::size_t>> load(const std::string& staging,
                                      const StagedRows& rows) override {
    std::string sql = "INSERT INTO temp." + dialect_->quote(staging) + " (";
    std::string marks;
    for (std::size_t i = 0; i < rows.columns.size(); ++i) {
      sql += (i ? ", " : "") + dialect_->quote(rows.columns[i]);
      marks += i ? ", ?" : "?";
    }
    sql += ") VALUES (" + marks + ")";
    auto stmt = prepare(sql);
    if (!stmt.ok()) co_return stmt.error();
    const std::size_t width = rows.columns.size();
    std::size_t bytes = 0;
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      sqlite3_reset(stmt->get());
      for (std::size_t c = 0; c < width; ++c) {
        const Cell& cell = rows.cells[r * width + c];
        const int index = static_cast<int>(c + 1);
        if (cell) {
          bytes += cell->size();
          sqlite3_bind_text64(stmt->get(), index, cell->data(), cell->size(), SQLITE_STATIC,
                              SQLITE_UTF8);
        } else {
          sqlite3_bind_null(stmt->get(), index);
        }
      }
      const int rc = sqlite3_step(stmt->get());
      if (rc != SQLITE_DONE) co_return failure(rc);
    }
    co_return bytes;
  }

  awaitable<Result<std::optional<std::vector<Column>>>> describe(const LoadPlan& plan) override {
    const std::string schema = plan.schema.empty() ? "main" : plan.schema;
    Row params{Cell(plan.table), Cell(schema)};
    const std::string sql = "SELECT name, type FROM pragma_table_info(?1, ?2)";
    auto rows = co_await select(sql, params);
    if (!rows.ok()) co_return rows.error();
    if (rows->empty()) co_return std::optional<std::vector<Column>>{};
    std::vector<Column> columns;
    for (const auto& row : *rows) {
      const std::string type = row[1].value_or(std::string());
      ColumnType t = ColumnType::kText;
      if (type == "INTEGER") t = ColumnType::kBigint;
      if (type == "REAL") t = ColumnType::kDouble;
      columns.push_back({row[0].value_or(std::string()), t});
    }
    co_return std::optional<std::vector<Column>>(std::move(columns));
  }

  bool broken() const override { return false; }

 private:
  Result<Statement> prepare(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &raw,
                                      nullptr);
    Statement stmt(raw);
    if (rc != SQLITE_OK) return failure(rc);
    return stmt;
  }

  Status bind(sqlite3_stmt* stmt, const Row& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const int rc = params[i] ? sqlite3_bind_text64(stmt, index, params[i]->data(),
                                                     params[i]->size(), SQLITE_TRANSIENT,
                                                     SQLITE_UTF8)
                               : sqlite3_bind_null(stmt, index);
      if (rc != SQLITE_OK) return failure(rc);
    }
    return {};
  }

  // A locked database is worth retrying; everything else fails the same way again.
  Error failure(int rc) const {
    std::string message = "sqlite " + path_ + ": " + sqlite3_errmsg(db_);
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
        primary == SQLITE_FULL) {
      return Error::retryable(std::move(message));
    }
    return Error::permanent(std::move(message));
  }

  sqlite3* db_;
  std::string path_;
  std::unique_ptr<Dialect> dialect_;
};

}  // namespace

Result<std::unique_ptr<WarehouseConnection>> open_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "sqlite " + path + ": cannot open: " +
                          (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return Error::permanent(std::move(message));
  }
  // Waits for another writer (weft tools, a BI tool) instead of failing at once; WAL lets
  // readers query the table while a load runs.
  sqlite3_busy_timeout(db, 5000);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  return std::unique_ptr<WarehouseConnection>(new SqliteConnection(db, path));
}

}  // namespace weft::warehouse

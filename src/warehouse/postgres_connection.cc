// The warehouse connection for PostgreSQL: statements through the extended protocol, staging
// rows through COPY ... FROM STDIN in CSV.
#include <utility>

#include "pgcdc/pg_connection.h"
#include "warehouse/warehouse_connection.h"

namespace weft::warehouse {

namespace {

using boost::asio::awaitable;
using pgcdc::PgConnection;

void append_csv(std::string& out, const Cell& cell) {
  if (!cell) return;  // NULL: an unquoted empty field
  const std::string& value = *cell;
  if (!value.empty() && value.find_first_of(",\"\r\n\\") == std::string::npos) {
    out += value;
    return;
  }
  out += '"';
  std::size_t from = 0;
  for (std::size_t quote = value.find('"'); quote != std::string::npos;
       quote = value.find('"', from)) {
    out.append(value, from, quote + 1 - from);
    out += '"';  // doubled
    from = quote + 1;
  }
  out.append(value, from);
  out += '"';
}

class PostgresConnection final : public WarehouseConnection {
 public:
  PostgresConnection(std::unique_ptr<PgConnection> conn, bool use_merge)
      : conn_(std::move(conn)), dialect_(make_postgres_dialect(use_merge)) {}

  const Dialect& dialect() const override { return *dialect_; }

  awaitable<Result<std::int64_t>> execute(const std::string& sql, const Row& params) override {
    auto result = co_await run(sql, params);
    if (!result.ok()) co_return result.error();
    co_return PgConnection::changed_rows(result->get());
  }

  awaitable<Result<std::vector<Row>>> select(const std::string& sql, const Row& params) override {
    auto result = co_await run(sql, params);
    if (!result.ok()) co_return result.error();
    std::vector<Row> rows;
    const PGresult* r = result->get();
    for (int i = 0; i < PQntuples(r); ++i) {
      Row row;
      for (int j = 0; j < PQnfields(r); ++j) {
        auto c = pgcdc::cell(r, i, j);
        row.push_back(c ? Cell(std::string(*c)) : Cell{});
      }
      rows.push_back(std::move(row));
    }
    co_return std::move(rows);
  }

  awaitable<Result<std::size_t>> load(const std::string& staging,
                                      const StagedRows& rows) override {
    std::string copy = "COPY " + dialect_->quote(staging) + " (";
    for (std::size_t i = 0; i < rows.columns.size(); ++i) {
      copy += (i ? ", " : "") + dialect_->quote(rows.columns[i]);
    }
    copy += ") FROM STDIN WITH (FORMAT csv)";
    std::string encoded;
    if (rows.copy_text.empty()) encoded = postgres_copy_csv(rows);
    const std::string& data = rows.copy_text.empty() ? encoded : rows.copy_text;
    Status s = co_await conn_->copy_in(copy, data);
    if (!s.ok()) co_return s.error();
    co_return data.size();
  }

  awaitable<Result<std::optional<std::vector<Column>>>> describe(const LoadPlan& plan) override {
    Row params{plan.schema.empty() ? Cell{} : Cell(plan.schema), Cell(plan.table)};
    auto rows = co_await select(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
        "coalesce($1, current_schema()) AND table_name = $2 ORDER BY ordinal_position",
        params);
    if (!rows.ok()) co_return rows.error();
    if (rows->empty()) co_return std::optional<std::vector<Column>>{};
    std::vector<Column> columns;
    for (const auto& row : *rows) columns.push_back({*row[0], column_type(*row[1])});
    co_return std::optional<std::vector<Column>>(std::move(columns));
  }

  bool broken() const override { return !conn_->usable(); }

 private:
  awaitable<Result<pgcdc::PgResult>> run(const std::string& sql, const Row& params) {
    if (params.empty()) co_return co_await conn_->query(sql);
    co_return co_await conn_->query(sql, params);
  }

  // The ColumnType whose values a column of this information_schema data_type takes. Types weft
  // does not create (numeric, varchar(n), uuid, date ...) read as text: the server parses them.
  static ColumnType column_type(const std::string& data_type) {
    if (data_type == "bigint" || data_type == "integer" || data_type == "smallint") {
      return ColumnType::kBigint;
    }
    if (data_type == "double precision" || data_type == "real") return ColumnType::kDouble;
    if (data_type == "boolean") return ColumnType::kBoolean;
    if (data_type.starts_with("timestamp")) return ColumnType::kTimestamp;
    if (data_type == "json" || data_type == "jsonb") return ColumnType::kJson;
    return ColumnType::kText;
  }

  std::unique_ptr<PgConnection> conn_;
  std::unique_ptr<Dialect> dialect_;
};

}  // namespace

std::string postgres_copy_csv(const StagedRows& rows) {
  std::string data;
  const std::size_t width = rows.columns.size();
  for (std::size_t i = 0; i < rows.cells.size(); ++i) {
    append_csv(data, rows.cells[i]);
    data += (i + 1) % width == 0 ? '\n' : ',';
  }
  return data;
}

awaitable<Result<std::unique_ptr<WarehouseConnection>>> connect_postgres(
    boost::asio::any_io_executor executor, std::string dsn, bool use_merge) {
  pgcdc::ConnectOptions options;
  options.dsn = std::move(dsn);
  options.application_name = "weft-warehouse";
  auto conn = co_await PgConnection::connect(std::move(executor), std::move(options));
  if (!conn.ok()) co_return conn.error();
  // MERGE arrived in PostgreSQL 15; older servers get INSERT ... ON CONFLICT.
  const bool merge = use_merge && (*conn)->server_version() >= 150000;
  std::unique_ptr<WarehouseConnection> out =
      std::make_unique<PostgresConnection>(std::move(*conn), merge);
  co_return std::move(out);
}

}  // namespace weft::warehouse

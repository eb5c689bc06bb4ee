#include "connectors/sources/sql_query/postgres_reader.h"

#include <boost/asio/this_coro.hpp>

#include "pgcdc/pg_connection.h"
#include "pgcdc/pg_value.h"

namespace weft::sql_query {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using pgcdc::cell;
using pgcdc::PgConnection;

constexpr std::uint32_t kDateOid = 1082;
constexpr std::uint32_t kTimestampOid = 1114;
constexpr std::uint32_t kTimestamptzOid = 1184;

bool is_time_type(std::uint32_t oid) {
  return oid == kDateOid || oid == kTimestampOid || oid == kTimestamptzOid;
}

class PostgresReader final : public RowReader {
 public:
  explicit PostgresReader(SqlQueryConfig config) : config_(std::move(config)) {}

  awaitable<Status> open() override {
    if (conn_) co_return Status{};
    pgcdc::ConnectOptions options;
    options.dsn = config_.dsn;
    options.application_name = "weft sql_query";
    auto executor = co_await asio::this_coro::executor;
    auto connected = co_await PgConnection::connect(executor, std::move(options));
    if (!connected.ok()) co_return connected.error();
    auto conn = std::move(*connected);
    database_ = conn->database();
    // The relation's shape: are the columns there, and which types do their values cast to?
    auto shape = co_await conn->query(columns_sql(config_));
    if (!shape.ok()) co_return in_context(shape.error());
    const PGresult* r = shape->get();
    std::vector<std::string> names;
    for (int f = 0; f < PQnfields(r); ++f) names.emplace_back(PQfname(r, f));
    auto columns = find_key_columns(config_, names);
    if (!columns.ok()) co_return columns.error();
    columns_ = *columns;
    watermark_oid_ = PQftype(r, columns_.watermark);
    const auto key_oid = PQftype(r, columns_.key);
    // format_type with typmod -1 names the type without a length, so a cast never truncates
    // (plain `character` would mean char(1)); user-defined types come back schema-qualified
    // and quoted as needed.
    const std::vector<std::optional<std::string>> oids = {std::to_string(watermark_oid_),
                                                          std::to_string(key_oid)};
    auto types =
        co_await conn->query("SELECT format_type($1::oid, -1), format_type($2::oid, -1)", oids);
    if (!types.ok()) co_return in_context(types.error());
    watermark_type_ = std::string(cell(types->get(), 0, 0).value_or(""));
    key_type_ = std::string(cell(types->get(), 0, 1).value_or(""));
    if (config_.settle.count() > 0 && !is_time_type(watermark_oid_)) {
      co_return Error::invalid_config(
          "field 'settle': holds back rows by the age of their timestamp, but watermark_column '" +
          config_.watermark_column + "' is " + watermark_type_ + "; use `settle: 0s`");
    }
    conn_ = std::move(conn);
    co_return Status{};
  }

  awaitable<Result<std::vector<Row>>> read_page(Bound bound, const Cursor& from,
                                                std::size_t limit) override {
    if (Status s = co_await open(); !s.ok()) co_return s.error();
    PageSqlOptions o;
    o.dialect = Dialect::kPostgres;
    o.relation = relation_sql(config_);
    o.watermark_column = config_.watermark_column;
    o.key_column = config_.key_column;
    o.watermark_type = watermark_type_;
    o.key_type = key_type_;
    o.bound = bound;
    o.settle = config_.settle.count() > 0;
    o.limit = limit;
    std::vector<std::optional<std::string>> params;
    if (bound != Bound::kStart) params.emplace_back(to_text(from.watermark));
    if (bound == Bound::kAfter) params.emplace_back(to_text(from.key));
    if (o.settle) params.emplace_back(std::to_string(config_.settle.count()) + " milliseconds");
    auto result = co_await conn_->query(page_sql(o), params);
    if (!result.ok()) {
      // After an error (or a cancelled wait) the connection may be mid-statement: start afresh.
      conn_.reset();
      co_return in_context(result.error());
    }
    auto rows = to_rows(result->get());
    if (!rows.ok()) conn_.reset();  // open() looks at the relation again
    co_return std::move(rows);
  }

  CellValue initial_value(const std::string& text) const override { return text; }

  std::string describe() const override {
    return "postgres" + (database_.empty() ? std::string() : " database " + database_);
  }

  void close() override { conn_.reset(); }

 private:
  Error in_context(const Error& e) const {
    return Error(e.kind(), e.message() + " (reading the " + config_.describe_relation() + ")");
  }

  Result<std::vector<Row>> to_rows(const PGresult* r) const {
    const int fields = PQnfields(r);
    const int rows = PQntuples(r);
    // The shape may have changed since open() (an ALTER TABLE between polls).
    if (fields <= std::max(columns_.watermark, columns_.key) ||
        config_.watermark_column != PQfname(r, columns_.watermark) ||
        config_.key_column != PQfname(r, columns_.key)) {
      return Error::retryable("the columns of the " + config_.describe_relation() +
                              " changed; reading them again");
    }
    std::vector<std::string> names;
    std::vector<std::uint32_t> oids;
    for (int f = 0; f < fields; ++f) {
      std::string name;
      pgcdc::append_json_string(name, PQfname(r, f));
      names.push_back(std::move(name));
      oids.push_back(PQftype(r, f));
    }
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
      Row& o = out.emplace_back();
      o.value += '{';
      for (int f = 0; f < fields; ++f) {
        if (f > 0) o.value += ',';
        o.value += names[f];
        o.value += ':';
        auto value = cell(r, row, f);
        if (value) {
          pgcdc::append_json_value(o.value, oids[f], *value);
        } else {
          o.value += "null";
        }
      }
      o.value += '}';
      auto key = cell(r, row, columns_.key);
      if (!key) return bad_key(config_, "a row has NULL");
      auto watermark = cell(r, row, columns_.watermark);
      o.cursor.watermark = std::string(watermark.value_or(""));  // never NULL: filtered out
      o.cursor.key = std::string(*key);
      if (watermark && is_time_type(watermark_oid_)) o.event_time = parse_time(*watermark);
    }
    return out;
  }

  SqlQueryConfig config_;
  std::unique_ptr<PgConnection> conn_;
  std::string database_;
  KeyColumns columns_;
  std::uint32_t watermark_oid_ = 0;
  std::string watermark_type_;
  std::string key_type_;
};

}  // namespace

std::unique_ptr<RowReader> make_postgres_reader(const SqlQueryConfig& config) {
  return std::make_unique<PostgresReader>(config);
}

}  // namespace weft::sql_query

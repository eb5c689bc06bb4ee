#include "connectors/sources/sql_query/config.h"

#include "common/text.h"
#include "connectors/sources/sql_query/sql_query_source.h"

namespace weft::sql_query {
namespace {

Error field_error(const std::string& field, const std::string& message) {
  return Error::invalid_config("field '" + field + "': " + message);
}

// The query as the source embeds it in a subquery: without surrounding space and trailing
// semicolons, which would end the outer statement early.
std::string tidy_query(std::string_view text) {
  text = trim(text);
  while (!text.empty() && (text.back() == ';' || is_space(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

constexpr std::size_t kQueryShown = 120;

}  // namespace

const char* to_string(Dialect dialect) {
  return dialect == Dialect::kPostgres ? "postgres" : "sqlite";
}

std::string SqlQueryConfig::describe_relation() const {
  if (!table.empty()) return "table " + table;
  std::string shown = query;
  for (auto& c : shown) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (shown.size() > kQueryShown) shown = shown.substr(0, kQueryShown) + "...";
  return "query '" + shown + "'";
}

Result<SqlQueryConfig> SqlQueryConfig::from(const Settings& settings) {
  SqlQueryConfig c;
  c.dialect = settings.string("dialect") == "postgres" ? Dialect::kPostgres : Dialect::kSqlite;
  if (c.dialect == Dialect::kPostgres) {
    if (!settings.has("dsn")) {
      return field_error("dsn", "dialect postgres reads through a connection string: set `dsn`");
    }
    if (settings.has("path")) {
      return field_error("path", "is for dialect sqlite; dialect postgres uses `dsn`");
    }
    c.dsn = settings.string("dsn");
  } else {
    if (settings.has("dsn")) {
      return field_error("dsn",
                         "is for dialect postgres: set `dialect: postgres`, or use "
                         "`path` for an SQLite file");
    }
    if (!settings.has("path"))
      return field_error("path", "dialect sqlite reads a file: set `path`");
    c.path = settings.string("path");
  }
  const bool has_query = settings.has("query");
  const bool has_table = settings.has("table");
  if (has_query && has_table) {
    return field_error("table", "set either `query` or `table`, not both");
  }
  if (!has_query && !has_table) {
    return field_error("query", "set `query` (a SELECT) or `table` to say what to read");
  }
  if (has_query) {
    c.query = tidy_query(settings.string("query"));
    if (c.query.empty()) return field_error("query", "is empty");
  } else {
    c.table = std::string(trim(settings.string("table")));
    if (c.table.empty()) return field_error("table", "is empty");
  }
  c.watermark_column = settings.string("watermark_column");
  if (c.watermark_column.empty()) return field_error("watermark_column", "is empty");
  c.key_column = settings.string("key_column");
  if (c.key_column.empty()) return field_error("key_column", "is empty");
  if (c.key_column == c.watermark_column) {
    return field_error("key_column",
                       "must differ from watermark_column: it orders the rows that share a "
                       "watermark value");
  }
  c.page_size = static_cast<std::size_t>(settings.integer("page_size"));
  c.poll_interval = settings.duration("poll_interval");
  if (settings.has("initial_watermark")) c.initial_watermark = settings.string("initial_watermark");
  c.settle = settings.duration("settle");
  return c;
}

ConnectorInfo info() {
  ConnectorInfo info;
  info.type = "sql_query";
  info.kind = ConnectorKind::kSource;
  info.summary =
      "Reads a PostgreSQL or SQLite table or query incrementally (reverse ETL, e.g. warehouse "
      "scores to a CRM): rows come in order of a watermark column (such as `updated_at`) and a "
      "unique key, a page at a time, then new and changed rows are polled for. Each row is a "
      "record whose value is the row as a JSON object and whose position is the row's "
      "watermark and key; a restart resumes after the last row the sink acknowledged, so no row "
      "is skipped and only rows read since the last checkpoint are read again (with the same "
      "record ids).";
  info.example =
      "type: sql_query\n"
      "dialect: postgres\n"
      "dsn: 'host=warehouse.internal dbname=analytics user=weft password=${PG_PASSWORD}'\n"
      "table: marts.customer_scores\n"
      "watermark_column: updated_at\n"
      "key_column: customer_id\n"
      "poll_interval: 5m\n";
  auto& spec = info.spec;
  spec.enumeration("dialect", {"postgres", "sqlite"})
      .default_value("sqlite")
      .description(
          "The database. `postgres`: any server speaking the PostgreSQL protocol, read through "
          "`dsn`; values as the postgres_cdc source writes them (integers and floats as "
          "numbers, numeric as exact text, booleans, timestamps as ISO-8601 text (with time "
          "zone: in UTC), json and jsonb nested, bytea as base64). `sqlite`: a local file, read "
          "through `path`; "
          "INTEGER and REAL as numbers, columns declared BOOLEAN as true/false, columns "
          "declared JSON nested, other text as stored, BLOB as base64. NULL is null in both.");
  spec.string("dsn")
      .secret()
      .description(
          "PostgreSQL only: the libpq connection string or URI (host, port, dbname, user, "
          "password, sslmode ...). A read-only user with SELECT on the table is enough. Never "
          "logged or shown in errors; write the password as `${VAR}`.")
      .example("'host=warehouse.internal dbname=analytics user=weft password=${PG_PASSWORD}'")
      .example("'postgres://weft:${PG_PASSWORD}@warehouse.internal/analytics?sslmode=verify-full'");
  spec.path("path").description(
      "SQLite only: the database file, opened read-only, e.g. `/var/lib/app/app.db`. A "
      "relative path is resolved against the pipeline file's directory.");
  spec.string("query").description(
      "A SELECT whose rows are read; it runs as a subquery (`SELECT * FROM (<query>) AS q "
      "WHERE ... ORDER BY <watermark>, <key> LIMIT <page_size>`), so the paging filter is "
      "applied around it, and it must return `watermark_column` and `key_column`. Use it to "
      "join, rename or leave out columns, e.g. `SELECT c.id, c.email, s.score, s.updated_at "
      "FROM customers c JOIN scores s ON s.customer_id = c.id` with `key_column: id`. Set "
      "`query` or `table`, not both.");
  spec.string("table")
      .description(
          "A table or view to read whole, as `table` or `schema.table`. Names are quoted as "
          "written, so they are case-sensitive (`Scores` is not `scores`). Each record gets a "
          "`_table` header with this name. Set `query` or `table`, not both.")
      .example("customer_scores")
      .example("marts.customer_scores");
  spec.string("watermark_column")
      .required()
      .description(
          "The column that grows whenever a row is inserted or changed, typically a "
          "last-modified timestamp or a version number. Rows are read in its order and a row "
          "whose value grew since it was read is read again, with its new values. Rows where "
          "it is NULL are never read. Compared in the column's own type (PostgreSQL) or as "
          "stored (SQLite). A timestamp also becomes the record's event time.")
      .example("updated_at");
  spec.string("key_column")
      .required()
      .description(
          "A column that is unique and never NULL (the primary key): it orders rows that share "
          "a watermark value, so paging through them skips and repeats none, and its text is "
          "the record key.")
      .example("id");
  spec.integer("page_size")
      .default_value("10000")
      .min(1)
      .max(1000000)
      .description(
          "Rows per query at most. A page shorter than this means the source has caught up; "
          "it then waits `poll_interval` before looking for more. The pipeline's batch size "
          "also caps a page.");
  spec.duration("poll_interval")
      .default_value("1m")
      .min(100)
      .description(
          "How long to wait, once caught up, before querying for new and changed rows. "
          "`weft trigger <pipeline>` queries at once.")
      .example("30s")
      .example("15m");
  spec.string("initial_watermark")
      .description(
          "On a first start (no checkpoint yet), read only rows whose watermark is at least "
          "this value, written as the database writes it (`2024-01-01 00:00:00+00`, `1000`; "
          "SQLite compares a number written here as a number). Without it the whole table is "
          "read first. Ignored once a checkpoint exists.")
      .example("'2024-01-01 00:00:00+00'")
      .example("'1000'");
  spec.duration("settle")
      .default_value("0s")
      .description(
          "Leave rows whose timestamp watermark is newer than now minus `settle` for a later "
          "poll. A row stamped with `now()` by a transaction that commits after the source has "
          "read past that time would otherwise never be read; waiting a little longer than "
          "your longest writing transaction avoids that, at the cost of that much delay. "
          "Needs a date or timestamp watermark. PostgreSQL: compared with the server's now(), "
          "timestamps without time zone counting as UTC; other watermark types fail at start. "
          "SQLite: applies to text timestamps, read as UTC; numbers are not held back.")
      .example("5s")
      .example("2m");
  parse_then_build(info, SqlQueryConfig::from, make_sql_query_source);
  return info;
}

}  // namespace weft::sql_query

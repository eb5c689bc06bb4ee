#include "connectors/sources/sql_query/query_builder.h"

namespace weft::sql_query {
namespace {

std::string placeholder(Dialect dialect, int n) {
  return (dialect == Dialect::kPostgres ? "$" : "?") + std::to_string(n);
}

// A placeholder with the cast that makes PostgreSQL compare in the column's type.
std::string typed(const PageSqlOptions& o, int n, const std::string& type) {
  std::string p = placeholder(o.dialect, n);
  if (o.dialect == Dialect::kPostgres && !type.empty()) p = "CAST(" + p + " AS " + type + ")";
  return p;
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string quote_table(std::string_view table) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const auto dot = table.find('.', start);
    if (!out.empty()) out += '.';
    out += quote_identifier(table.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string relation_sql(const SqlQueryConfig& config) {
  if (!config.table.empty()) return quote_table(config.table);
  // The line break ends a trailing `--` comment in the user's query.
  return "(" + config.query + "\n)";
}

std::string columns_sql(const SqlQueryConfig& config) {
  return "SELECT * FROM " + relation_sql(config) + " AS q LIMIT 0";
}

std::string page_sql(const PageSqlOptions& o) {
  const std::string w = "q." + quote_identifier(o.watermark_column);
  const std::string k = "q." + quote_identifier(o.key_column);
  std::string sql = "SELECT * FROM " + o.relation + " AS q WHERE ";
  int next = 1;
  switch (o.bound) {
    case Bound::kStart:
      sql += w + " IS NOT NULL";
      break;
    case Bound::kFrom:
      sql += w + " >= " + typed(o, next++, o.watermark_type);
      break;
    case Bound::kAfter: {
      const std::string wp = typed(o, next++, o.watermark_type);
      const std::string kp = typed(o, next++, o.key_type);
      sql += "(" + w + " > " + wp + " OR (" + w + " = " + wp + " AND " + k + " > " + kp + "))";
      break;
    }
  }
  if (o.settle) {
    const std::string p = placeholder(o.dialect, next++);
    if (o.dialect == Dialect::kPostgres) {
      sql += " AND " + w + " <= now() - CAST(" + p + " AS interval)";
    } else {
      // julianday() reads any of SQLite's date-time text forms; numbers are not timestamps
      // SQLite can tell apart from other numbers, so they are left alone.
      sql += " AND (typeof(" + w + ") <> 'text' OR julianday(" + w + ") IS NULL OR julianday(" + w +
             ") <= julianday('now', " + p + "))";
    }
  }
  sql += " ORDER BY " + w + ", " + k + " LIMIT " + std::to_string(o.limit);
  return sql;
}

}  // namespace weft::sql_query

#include "connectors/sources/sql_query/row_reader.h"

#include <algorithm>

#include "common/suggest.h"
#include "connectors/sources/sql_query/postgres_reader.h"
#include "connectors/sources/sql_query/sqlite_reader.h"
#include "rest/cursor_value.h"

namespace weft::sql_query {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::unique_ptr<RowReader> make_reader(const SqlQueryConfig& config) {
  if (config.dialect == Dialect::kPostgres) return make_postgres_reader(config);
  return make_sqlite_reader(config);
}

Result<KeyColumns> find_key_columns(const SqlQueryConfig& config,
                                    const std::vector<std::string>& columns) {
  KeyColumns found;
  auto index_of = [&columns](const std::string& name) {
    auto it = std::find(columns.begin(), columns.end(), name);
    return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
  };
  found.watermark = index_of(config.watermark_column);
  found.key = index_of(config.key_column);
  for (const auto& [field, name, index] :
       {std::tuple{"watermark_column", &config.watermark_column, found.watermark},
        std::tuple{"key_column", &config.key_column, found.key}}) {
    if (index >= 0) continue;
    std::string message = std::string(field) + " '" + *name + "' is not a column of the " +
                          config.describe_relation() + " (its columns: " + join(columns) + ")";
    if (auto close = closest_match(*name, columns)) message += "; did you mean " + *close + "?";
    return Error::permanent(std::move(message));
  }
  return found;
}

Error bad_key(const SqlQueryConfig& config, const std::string& why) {
  return Error::permanent("key_column '" + config.key_column + "' of the " +
                          config.describe_relation() + ": " + why +
                          "; the key must be unique and never NULL, or rows sharing a "
                          "watermark value could be skipped");
}

std::optional<Clock::time_point> parse_time(std::string_view text) {
  std::string normal(text);
  if (normal.size() == 10) normal += " 00:00:00";  // a date
  // PostgreSQL prints a whole-hour offset as "+00"; the parser wants "+00:00".
  const auto n = normal.size();
  if (n > 19 && (normal[n - 3] == '+' || normal[n - 3] == '-') && is_digit(normal[n - 2]) &&
      is_digit(normal[n - 1])) {
    normal += ":00";
  }
  auto t = rest::parse_timestamp(normal);
  if (!t) return std::nullopt;
  return std::chrono::time_point_cast<Clock::duration>(*t);
}

}  // namespace weft::sql_query

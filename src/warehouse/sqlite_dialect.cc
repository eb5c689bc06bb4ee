// SQLite 3.39+ (IS DISTINCT FROM; Debian 12 ships 3.40): the embedded warehouse, so a newcomer
// can load a table with no server. Temporary tables live until dropped, so apply() drops the
// staging table in the load's transaction.
#include "warehouse/dialect.h"

namespace weft::warehouse {
namespace {

class SqliteDialect final : public Dialect {
 public:
  std::string_view name() const override { return "sqlite"; }

  // SQLite's type affinities; timestamps are ISO 8601 text, JSON is text.
  std::string type_name(ColumnType type) const override {
    switch (type) {
      case ColumnType::kText:
        return "TEXT";
      case ColumnType::kBigint:
        return "INTEGER";
      case ColumnType::kDouble:
        return "REAL";
      case ColumnType::kBoolean:
        return "INTEGER";
      case ColumnType::kTimestamp:
        return "TEXT";
      case ColumnType::kJson:
        return "TEXT";
    }
    return "TEXT";
  }

  std::string now() const override { return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"; }

  std::string create_staging(const LoadPlan& plan) const override {
    std::string sql = "CREATE TEMP TABLE " + quote(plan.staging) + " (";
    for (const auto& column : plan.columns) {
      sql += quote(column.name) + " " + type_name(column.type) + ", ";
    }
    sql += quote(kOpColumn) + " TEXT NOT NULL, " + quote(kSequenceColumn) + " INTEGER NOT NULL";
    if (plan.source_position) sql += ", " + quote(kPositionColumn) + " TEXT";
    return sql + ")";
  }

  std::vector<std::string> apply(const LoadPlan& plan) const override {
    std::vector<std::string> out = upsert_statements(plan);
    out.push_back("DROP TABLE temp." + quote(plan.staging));
    return out;
  }

  std::string create_checkpoint_table() const override {
    return std::string("CREATE TABLE IF NOT EXISTS ") + quote(kCheckpointTable) +
           " (pipeline TEXT PRIMARY KEY, position TEXT, applied TEXT NOT NULL, "
           "updated_at TEXT NOT NULL)";
  }
  std::string save_checkpoint() const override {
    return "INSERT INTO " + quote(kCheckpointTable) +
           " (pipeline, position, applied, updated_at) VALUES (?1, ?2, ?3, " + now() +
           ") ON CONFLICT (pipeline) DO UPDATE SET position = excluded.position, applied = "
           "excluded.applied, updated_at = excluded.updated_at";
  }
  std::string load_checkpoint() const override {
    return "SELECT position, applied FROM " + quote(kCheckpointTable) + " WHERE pipeline = ?1";
  }
};

}  // namespace

std::unique_ptr<Dialect> make_sqlite_dialect() { return std::make_unique<SqliteDialect>(); }

}  // namespace weft::warehouse

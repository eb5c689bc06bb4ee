// PostgreSQL 15+: a temporary staging table dropped at commit, MERGE (or INSERT ... ON CONFLICT),
// checkpoints with $n parameters.
#include "warehouse/dialect.h"

namespace weft::warehouse {
namespace {

// Longer identifiers are truncated by the server (NAMEDATALEN - 1).
constexpr std::size_t kMaxIdentifierBytes = 63;

class PostgresDialect final : public Dialect {
 public:
  explicit PostgresDialect(bool use_merge) : use_merge_(use_merge) {}

  std::string_view name() const override { return "postgres"; }

  Status check_identifier(std::string_view identifier, std::string_view what) const override {
    Status s = Dialect::check_identifier(identifier, what);
    if (!s.ok()) return s;
    if (identifier.size() > kMaxIdentifierBytes) {
      return Error::invalid_config(std::string(what) + " name '" + std::string(identifier) +
                                   "' is longer than PostgreSQL's 63 bytes");
    }
    return {};
  }

  std::string type_name(ColumnType type) const override {
    switch (type) {
      case ColumnType::kText:
        return "text";
      case ColumnType::kBigint:
        return "bigint";
      case ColumnType::kDouble:
        return "double precision";
      case ColumnType::kBoolean:
        return "boolean";
      case ColumnType::kTimestamp:
        return "timestamptz";
      case ColumnType::kJson:
        return "jsonb";
    }
    return "text";
  }

  std::string now() const override { return "now()"; }

  std::string create_staging(const LoadPlan& plan) const override {
    std::string sql = "CREATE TEMP TABLE " + quote(plan.staging) + " (";
    for (const auto& column : plan.columns) {
      sql += quote(column.name) + " " + type_name(column.type) + ", ";
    }
    sql += quote(kOpColumn) + " text NOT NULL, " + quote(kSequenceColumn) + " bigint NOT NULL";
    if (plan.source_position) sql += ", " + quote(kPositionColumn) + " text";
    return sql + ") ON COMMIT DROP";
  }

  std::vector<std::string> apply(const LoadPlan& plan) const override {
    std::vector<std::string> out;
    if (!use_merge_ || plan.mode == WriteMode::kAppend) {
      out = upsert_statements(plan);
    } else {
      out.push_back(merge(plan));
    }
    // Dropped now, not only at commit: a load split after a rejected row stages again.
    out.push_back("DROP TABLE " + quote(plan.staging));
    return out;
  }

  std::string create_checkpoint_table() const override {
    return std::string("CREATE TABLE IF NOT EXISTS ") + quote(kCheckpointTable) +
           " (pipeline text PRIMARY KEY, position text, applied text NOT NULL, "
           "updated_at timestamptz NOT NULL)";
  }
  std::string save_checkpoint() const override {
    return "INSERT INTO " + quote(kCheckpointTable) +
           " (pipeline, position, applied, updated_at) VALUES ($1, $2, $3, now()) ON CONFLICT "
           "(pipeline) DO UPDATE SET position = excluded.position, applied = excluded.applied, "
           "updated_at = excluded.updated_at";
  }
  std::string load_checkpoint() const override {
    return "SELECT position, applied FROM " + quote(kCheckpointTable) + " WHERE pipeline = $1";
  }

 private:
  // One MERGE: PostgreSQL 15 has no WHEN NOT MATCHED BY SOURCE and no RETURNING, and fails when
  // a target row matches twice, which latest_rows() rules out.
  std::string merge(const LoadPlan& plan) const {
    const std::string s = kSourceAlias;
    const std::string op = s + "." + quote(kOpColumn);
    std::string on;
    for (const auto& k : plan.key) {
      on += (on.empty() ? "" : " AND ") + std::string("t.") + quote(k) + " = " + s + "." + quote(k);
    }
    std::string sql = "MERGE INTO " + qualified(plan) + " AS t USING " + latest_rows(plan) +
                      " AS " + s + " ON " + on;
    if (plan.deletes == DeleteHandling::kDelete) {
      sql += " WHEN MATCHED AND " + op + " = 'delete' THEN DELETE";
    } else if (plan.deletes == DeleteHandling::kSoftDelete) {
      sql += " WHEN MATCHED AND " + op + " = 'delete' AND t." + quote(kDeletedAtColumn) +
             " IS NULL THEN UPDATE SET " + quote(kDeletedAtColumn) + " = now(), " +
             quote(kLoadedAtColumn) + " = now()";
    }
    std::string set;
    for (const auto& column : plan.columns) {
      bool key = false;
      for (const auto& k : plan.key) key = key || k == column.name;
      if (!key) set += quote(column.name) + " = " + s + "." + quote(column.name) + ", ";
    }
    set += quote(kLoadedAtColumn) + " = now()";
    if (plan.deletes == DeleteHandling::kSoftDelete)
      set += ", " + quote(kDeletedAtColumn) + " = NULL";
    if (plan.source_position)
      set += ", " + quote(kPositionColumn) + " = " + s + "." + quote(kPositionColumn);
    sql += " WHEN MATCHED AND " + op + " <> 'delete' AND " + changed(plan, "t", s) +
           " THEN UPDATE SET " + set;
    sql += " WHEN NOT MATCHED AND " + op + " <> 'delete' THEN INSERT (" + insert_columns(plan) +
           ") VALUES (" + insert_values(plan, s) + ")";
    return sql;
  }

  const bool use_merge_;
};

}  // namespace

std::unique_ptr<Dialect> make_postgres_dialect(bool use_merge) {
  return std::make_unique<PostgresDialect>(use_merge);
}

}  // namespace weft::warehouse

// What every dialect shares: quoting, the target table's DDL and the parts of the apply
// statements that read the same in every SQL.
#include "warehouse/dialect.h"

namespace weft::warehouse {

const char* to_string(ColumnType type) {
  switch (type) {
    case ColumnType::kText:
      return "text";
    case ColumnType::kBigint:
      return "bigint";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kJson:
      return "json";
  }
  return "unknown";
}

Status Dialect::check_identifier(std::string_view identifier, std::string_view what) const {
  if (identifier.empty()) return Error::invalid_config(std::string(what) + " name is empty");
  if (identifier.find('\0') != std::string_view::npos) {
    return Error::invalid_config(std::string(what) + " name holds a NUL byte");
  }
  if (identifier.starts_with("_weft_")) {
    return Error::invalid_config(std::string(what) + " name '" + std::string(identifier) +
                                 "' starts with _weft_, which weft keeps for its own columns");
  }
  return {};
}

std::string Dialect::quote(std::string_view identifier) const {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string Dialect::qualified(const LoadPlan& plan) const {
  if (plan.schema.empty()) return quote(plan.table);
  return quote(plan.schema) + "." + quote(plan.table);
}

std::string Dialect::create_target(const LoadPlan& plan) const {
  const bool merge = plan.mode == WriteMode::kMerge;
  std::string sql = "CREATE TABLE IF NOT EXISTS " + qualified(plan) + " (";
  auto is_key = [&](const std::string& name) {
    for (const auto& k : plan.key) {
      if (k == name) return true;
    }
    return false;
  };
  for (const auto& column : plan.columns) {
    sql += quote(column.name) + " " + type_name(column.type);
    if (merge && is_key(column.name)) sql += " NOT NULL";
    sql += ", ";
  }
  sql += quote(kLoadedAtColumn) + " " + type_name(ColumnType::kTimestamp) + " NOT NULL";
  if (plan.deletes == DeleteHandling::kSoftDelete) {
    sql += ", " + quote(kDeletedAtColumn) + " " + type_name(ColumnType::kTimestamp);
  }
  if (plan.source_position) {
    sql += ", " + quote(kPositionColumn) + " " + type_name(ColumnType::kText);
  }
  if (merge) {
    sql += ", PRIMARY KEY (";
    for (std::size_t i = 0; i < plan.key.size(); ++i) sql += (i ? ", " : "") + quote(plan.key[i]);
    sql += ")";
  }
  return sql + ")";
}

std::string Dialect::add_column(const LoadPlan& plan, const Column& column) const {
  return "ALTER TABLE " + qualified(plan) + " ADD COLUMN " + quote(column.name) + " " +
         type_name(column.type);
}

std::string Dialect::latest_rows(const LoadPlan& plan) const {
  const std::string staging = quote(plan.staging);
  if (plan.mode == WriteMode::kAppend) return staging;
  std::string partition;
  for (std::size_t i = 0; i < plan.key.size(); ++i)
    partition += (i ? ", " : "") + quote(plan.key[i]);
  return "(SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY " + partition + " ORDER BY " +
         quote(kSequenceColumn) + " DESC) AS \"_weft_rank\" FROM " + staging +
         ") AS \"_weft_ranked\" WHERE \"_weft_rank\" = 1)";
}

std::string Dialect::changed(const LoadPlan& plan, std::string_view target,
                             std::string_view source) const {
  std::string out;
  auto add = [&](const std::string& term) { out += (out.empty() ? "" : " OR ") + term; };
  for (const auto& column : plan.columns) {
    bool key = false;
    for (const auto& k : plan.key) key = key || k == column.name;
    if (key) continue;
    const std::string name = quote(column.name);
    add(std::string(target) + "." + name + " IS DISTINCT FROM " + std::string(source) + "." + name);
  }
  if (plan.deletes == DeleteHandling::kSoftDelete) {
    add(std::string(target) + "." + quote(kDeletedAtColumn) + " IS NOT NULL");
  }
  return out.empty() ? "FALSE" : "(" + out + ")";
}

std::string Dialect::insert_columns(const LoadPlan& plan) const {
  std::string out;
  for (const auto& column : plan.columns) out += quote(column.name) + ", ";
  out += quote(kLoadedAtColumn);
  if (plan.source_position) out += ", " + quote(kPositionColumn);
  return out;
}

std::string Dialect::insert_values(const LoadPlan& plan, std::string_view source) const {
  std::string out;
  for (const auto& column : plan.columns)
    out += std::string(source) + "." + quote(column.name) + ", ";
  out += now();
  if (plan.source_position) out += ", " + std::string(source) + "." + quote(kPositionColumn);
  return out;
}

std::vector<std::string> Dialect::upsert_statements(const LoadPlan& plan) const {
  const std::string target = qualified(plan);
  const std::string rows = latest_rows(plan) + " AS " + kSourceAlias;
  const std::string op = std::string(kSourceAlias) + "." + quote(kOpColumn);
  std::vector<std::string> out;
  if (plan.mode == WriteMode::kAppend) {
    out.push_back("INSERT INTO " + target + " (" + insert_columns(plan) + ") SELECT " +
                  insert_values(plan, kSourceAlias) + " FROM " + rows + " WHERE " + op +
                  " <> 'delete' ORDER BY " + kSourceAlias + "." + quote(kSequenceColumn));
    return out;
  }
  const std::string table = quote(plan.table);  // how the statements refer to the target row
  std::string same_key;
  for (const auto& k : plan.key) {
    same_key += (same_key.empty() ? "" : " AND ") + table + "." + quote(k) + " = " + kSourceAlias +
                "." + quote(k);
  }
  const std::string deleted_here =
      "EXISTS (SELECT 1 FROM " + rows + " WHERE " + same_key + " AND " + op + " = 'delete')";
  if (plan.deletes == DeleteHandling::kDelete) {
    out.push_back("DELETE FROM " + target + " WHERE " + deleted_here);
  } else if (plan.deletes == DeleteHandling::kSoftDelete) {
    out.push_back("UPDATE " + target + " SET " + quote(kDeletedAtColumn) + " = " + now() + ", " +
                  quote(kLoadedAtColumn) + " = " + now() + " WHERE " + quote(kDeletedAtColumn) +
                  " IS NULL AND " + deleted_here);
  }
  std::string conflict;
  for (const auto& k : plan.key) conflict += (conflict.empty() ? "" : ", ") + quote(k);
  std::string set;
  for (const auto& column : plan.columns) {
    bool key = false;
    for (const auto& k : plan.key) key = key || k == column.name;
    if (!key) set += quote(column.name) + " = excluded." + quote(column.name) + ", ";
  }
  set += quote(kLoadedAtColumn) + " = excluded." + quote(kLoadedAtColumn);
  if (plan.deletes == DeleteHandling::kSoftDelete)
    set += ", " + quote(kDeletedAtColumn) + " = NULL";
  if (plan.source_position) {
    set += ", " + quote(kPositionColumn) + " = excluded." + quote(kPositionColumn);
  }
  // SQLite needs a WHERE in the SELECT of an INSERT ... ON CONFLICT to parse it; the op test is
  // one.
  out.push_back("INSERT INTO " + target + " (" + insert_columns(plan) + ") SELECT " +
                insert_values(plan, kSourceAlias) + " FROM " + rows + " WHERE " + op +
                " <> 'delete' ON CONFLICT (" + conflict + ") DO UPDATE SET " + set + " WHERE " +
                changed(plan, table, "excluded"));
  return out;
}

}  // namespace weft::warehouse

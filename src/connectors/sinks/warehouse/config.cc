#include "connectors/sinks/warehouse/config.h"

#include "warehouse/dialect.h"
#include "warehouse/warehouse_sink.h"

namespace weft::warehouse {

namespace {

std::optional<ColumnType> parse_column_type(const std::string& text) {
  for (auto t : {ColumnType::kText, ColumnType::kBigint, ColumnType::kDouble, ColumnType::kBoolean,
                 ColumnType::kTimestamp, ColumnType::kJson}) {
    if (text == to_string(t)) return t;
  }
  return std::nullopt;
}

}  // namespace

Result<WarehouseConfig> sink_config(const Settings& settings) {
  WarehouseConfig c;
  c.dialect = settings.string("dialect");
  const bool postgres = c.dialect == "postgres";
  if (postgres && !settings.has("dsn")) {
    return Error::invalid_config("field 'dsn': required with dialect postgres");
  }
  if (!postgres && !settings.has("path")) {
    return Error::invalid_config("field 'path': required with dialect sqlite");
  }
  if (settings.has("dsn")) c.dsn = settings.string("dsn");
  if (settings.has("path")) c.path = settings.string("path");
  auto dialect = postgres ? make_postgres_dialect() : make_sqlite_dialect();
  LoadPlan& plan = c.plan;
  if (settings.has("schema")) {
    plan.schema = settings.string("schema");
    if (Status s = dialect->check_identifier(plan.schema, "schema"); !s.ok()) {
      return Error::invalid_config("field 'schema': " + s.error().message());
    }
  }
  plan.table = settings.string("table");
  if (Status s = dialect->check_identifier(plan.table, "table"); !s.ok()) {
    return Error::invalid_config("field 'table': " + s.error().message());
  }
  plan.mode = settings.string("write_mode") == "merge" ? WriteMode::kMerge : WriteMode::kAppend;
  if (settings.has("primary_key")) plan.key = settings.string_list("primary_key");
  for (const auto& k : plan.key) {
    if (Status s = dialect->check_identifier(k, "column"); !s.ok()) {
      return Error::invalid_config("field 'primary_key': " + s.error().message());
    }
  }
  if (plan.mode == WriteMode::kMerge && plan.key.empty()) {
    return Error::invalid_config("field 'primary_key': required with write_mode merge");
  }
  const std::string deletes = settings.string("deletes");
  if (plan.mode == WriteMode::kAppend || deletes == "ignore") {
    plan.deletes = DeleteHandling::kIgnore;
  } else {
    plan.deletes = deletes == "soft_delete" ? DeleteHandling::kSoftDelete : DeleteHandling::kDelete;
  }
  plan.source_position = settings.boolean("source_position");
  if (settings.has("columns")) {
    for (const auto& [name, type] : settings.string_map("columns")) {
      auto parsed = parse_column_type(type);
      if (!parsed) {
        return Error::invalid_config("field 'columns': column '" + name + "' has type '" + type +
                                     "'; use text, bigint, double, boolean, timestamp or json");
      }
      if (Status s = dialect->check_identifier(name, "column"); !s.ok()) {
        return Error::invalid_config("field 'columns': " + s.error().message());
      }
      c.declared[name] = *parsed;
    }
  }
  c.auto_create = settings.boolean("auto_create");
  const std::string evolution = settings.string("schema_evolution");
  c.evolution = evolution == "freeze"   ? SchemaEvolution::kFreeze
                : evolution == "ignore" ? SchemaEvolution::kIgnore
                                        : SchemaEvolution::kAddColumns;
  c.use_merge = settings.boolean("use_merge");
  return c;
}

ConnectorInfo sink_info() {
  ConnectorInfo info;
  info.type = "warehouse";
  info.kind = ConnectorKind::kSink;
  info.summary =
      "Loads records into a warehouse table in batches: bulk COPY into a staging table, then an "
      "append or a deduplicating merge, with the pipeline's position stored in the same "
      "transaction (exactly-once). PostgreSQL, or an embedded SQLite file.";
  info.example =
      "type: warehouse\ndialect: postgres\ndsn: ${WAREHOUSE_DSN}\ntable: customers\n"
      "write_mode: merge\nprimary_key: [id]\ndeletes: soft_delete\n";
  auto& spec = info.spec;
  spec.enumeration("dialect", {"sqlite", "postgres"})
      .default_value("sqlite")
      .description(
          "The database: `postgres` (PostgreSQL 15+ for MERGE; older servers get INSERT ... ON "
          "CONFLICT), or `sqlite`, an embedded file that needs no server.");
  spec.string("dsn")
      .secret()
      .description("PostgreSQL: a libpq connection string or `postgres://` URI.")
      .example("postgres://loader:${WAREHOUSE_PASSWORD}@warehouse:5432/analytics");
  spec.path("path")
      .description("SQLite: the database file, created when missing.")
      .example("/var/lib/weft/warehouse.db");
  spec.string("schema")
      .description("The target table's schema; unset: the connection's default (`public`).")
      .example("analytics");
  spec.string("table").required().description("The target table.").example("customers");
  spec.enumeration("write_mode", {"append", "merge"})
      .default_value("append")
      .description(
          "`append`: every record becomes a new row. `merge`: upsert by `primary_key`; within a "
          "batch only the latest record of each key counts, and a row is rewritten only when a "
          "value changed.");
  spec.string_list("primary_key")
      .description("The key columns `merge` matches rows by.")
      .example("[id]");
  spec.enumeration("deletes", {"delete", "soft_delete", "ignore"})
      .default_value("delete")
      .description(
          "What a deleted entity (op `delete`, from CDC) does in `merge`: deletes the row, sets "
          "its `_deleted_at` (a later upsert clears it), or nothing.");
  spec.string_map("columns")
      .description(
          "Column types to use when weft creates the table or adds a column (text, bigint, "
          "double, boolean, timestamp, json); other columns get the type their first values "
          "suggest.")
      .example("{amount: double, created_at: timestamp}");
  spec.boolean("auto_create")
      .default_value("true")
      .description("Create the table from the first batch when it does not exist.");
  spec.enumeration("schema_evolution", {"add_columns", "ignore", "freeze"})
      .default_value("add_columns")
      .description(
          "Fields the table has no column for: `add_columns` adds them (never drops or narrows "
          "one), `ignore` drops the fields, `freeze` dead-letters such records.");
  spec.boolean("source_position")
      .default_value("false")
      .description("Keep each row's source position in a `_source_position` column.");
  spec.boolean("use_merge")
      .default_value("true")
      .description(
          "PostgreSQL: apply with MERGE; false: INSERT ... ON CONFLICT, which also suits other "
          "writers inserting the same keys at the same time.");
  parse_then_build(info, sink_config, make_warehouse_sink);
  return info;
}

}  // namespace weft::warehouse

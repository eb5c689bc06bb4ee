#pragma once

// The warehouse sink's settings, parsed (docs/connectors/warehouse.md).

#include <map>
#include <string>

#include "warehouse/load_plan.h"

namespace weft::warehouse {

// What happens when records carry fields the table has no column for.
enum class SchemaEvolution {
  kAddColumns,  // ALTER TABLE ... ADD COLUMN with the type the values suggest
  kIgnore,      // the fields are dropped
  kFreeze,      // such a record is rejected (dead-lettered) naming the field
};

struct WarehouseConfig {
  std::string dialect = "sqlite";  // "sqlite" or "postgres"
  std::string dsn;                 // postgres: conninfo or URI (a secret)
  std::string path;                // sqlite: the database file
  // The target: schema, table, key, mode, deletes, source_position. Its columns are filled in
  // per batch.
  LoadPlan plan;
  std::map<std::string, ColumnType> declared;  // column types the user fixed (`columns`)
  bool auto_create = true;
  SchemaEvolution evolution = SchemaEvolution::kAddColumns;
  bool use_merge = true;  // postgres: MERGE (15+) rather than INSERT ... ON CONFLICT
};

}  // namespace weft::warehouse

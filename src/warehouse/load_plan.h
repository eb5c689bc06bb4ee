#pragma once

// What one batch load into a warehouse table does, independent of the SQL dialect
// (docs/connectors/warehouse.md): rows are copied into a staging table, deduplicated to the
// latest version of each key, then applied to the target in the same transaction as the
// pipeline's checkpoint.

#include <string>
#include <vector>

namespace weft::warehouse {

// The column types records map to. Each dialect names them (bigint, INTEGER, ...).
enum class ColumnType { kText, kBigint, kDouble, kBoolean, kTimestamp, kJson };
const char* to_string(ColumnType type);

struct Column {
  std::string name;
  ColumnType type = ColumnType::kText;
};

enum class WriteMode {
  kAppend,  // every record becomes a new row
  kMerge,   // upsert by the primary key
};

enum class DeleteHandling {
  kIgnore,      // a delete record is dropped (append, or merge without CDC deletes)
  kDelete,      // it deletes the row
  kSoftDelete,  // it sets the row's _deleted_at (an upsert of the key clears it again)
};

// Columns weft adds. The staging table carries the op and the order of each record in the batch;
// the target gets the load time, the deletion time (soft deletes) and optionally the position.
inline constexpr const char* kOpColumn = "_weft_op";         // 'upsert' or 'delete'
inline constexpr const char* kSequenceColumn = "_weft_seq";  // order within the batch
inline constexpr const char* kLoadedAtColumn = "_loaded_at";
inline constexpr const char* kDeletedAtColumn = "_deleted_at";
inline constexpr const char* kPositionColumn = "_source_position";
inline constexpr const char* kCheckpointTable = "_weft_checkpoints";

struct LoadPlan {
  std::string schema;  // empty: the connection's default (search_path, or SQLite's main)
  std::string table;
  std::string staging;           // the temporary staging table
  std::vector<Column> columns;   // the data columns, key columns included
  std::vector<std::string> key;  // the primary key (merge); empty for append
  WriteMode mode = WriteMode::kMerge;
  DeleteHandling deletes = DeleteHandling::kIgnore;
  bool source_position = false;  // keep each row's source position in _source_position
};

}  // namespace weft::warehouse

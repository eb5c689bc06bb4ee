#pragma once

// Turns a batch of records into staging rows for one load: which columns the load touches,
// which columns the table must gain first, each record's cells in its column's type, and the
// records that cannot be loaded, each with an error that names the record and the column.
// Pure: no I/O, so every rule here is tested without a database.

#include <cstddef>
#include <optional>
#include <vector>

#include "warehouse/warehouse_config.h"
#include "warehouse/warehouse_connection.h"
#include "weft/record.h"
#include "weft/sink.h"

namespace weft::warehouse {

struct StagedBatch {
  // The columns to add to the table (or to create it with, when `create` is set).
  std::vector<Column> new_columns;
  bool create = false;
  // The plan for this load: the data columns the batch's records carry (key columns first).
  LoadPlan plan;
  StagedRows rows;                  // plan.columns, then _weft_op, _weft_seq (, _source_position)
  std::vector<std::size_t> record;  // rows -> the record's index in the batch
  std::vector<WriteResult::RecordFailure> failures;
};

// `table`: the table's columns now, or nullopt when it does not exist. `skip[i]`: record i was
// loaded before a restart and is left out. `sqlite`: booleans as 1/0.
StagedBatch stage_batch(const Batch& batch, const WarehouseConfig& config,
                        const std::optional<std::vector<Column>>& table,
                        const std::vector<bool>& skip, const Dialect& dialect);

// Rows [begin, end) of `rows`, for loading part of a batch after the whole was rejected.
StagedRows slice(const StagedRows& rows, std::size_t begin, std::size_t end);

}  // namespace weft::warehouse

#pragma once

// The initial snapshot: reads the source's tables one after another, in primary-key order and
// in chunks (`WHERE key > last ORDER BY key LIMIT n`), inside one REPEATABLE READ transaction
// that imported the replication slot's exported snapshot, so the rows are exactly the state the
// slot's stream continues from. A snapshot interrupted by a restart resumes at the table and
// key of its last delivered row; the exported snapshot is gone by then, so the rest is read at
// a fresh snapshot (the slot's stream then replays the changes made since, see the guide).

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pgcdc/cdc_config.h"
#include "pgcdc/cdc_position.h"
#include "pgcdc/change_encoder.h"
#include "pgcdc/pg_connection.h"
#include "pgcdc/replication_setup.h"
#include "weft/record.h"

namespace weft::pgcdc {

class SnapshotReader {
 public:
  // `resume`: the last row delivered before a restart; nullopt to start at the first table.
  SnapshotReader(std::vector<SourceTable> tables, const CdcConfig& config, std::string database,
                 std::optional<SnapshotPoint> resume);

  // Opens the read transaction on `conn` (a regular connection that stays with the reader),
  // at `snapshot_name` when it is set, else at a fresh snapshot. A table without a primary
  // key or `keys` override cannot be read in chunks: a permanent error naming it.
  boost::asio::awaitable<Status> begin(PgConnection& conn, const std::string& snapshot_name);

  // The next rows, at most `max_rows`, as `op: r` records. An empty batch means done().
  boost::asio::awaitable<Result<Batch>> read(PgConnection& conn, std::size_t max_rows);

  bool done() const { return table_index_ >= tables_.size(); }

 private:
  boost::asio::awaitable<Status> prepare_shape(PgConnection& conn, const PGresult* result);

  std::vector<SourceTable> tables_;
  const CdcConfig& config_;
  std::string database_;
  ChangeEncoder encoder_;
  std::size_t table_index_ = 0;
  std::vector<std::string> last_key_;  // empty: start of the current table
  std::optional<TableShape> shape_;    // of the current table, from its first chunk
  std::vector<int> key_fields_;        // result column of each key column
};

}  // namespace weft::pgcdc

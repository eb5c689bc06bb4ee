#pragma once

// The SQL a warehouse load runs, per database. The interface is kept small so that Snowflake,
// BigQuery or Redshift can be added by generating their own forms (COPY INTO + MERGE ... QUALIFY)
// of the same steps. Identifiers are always quoted; values never appear in the SQL: they travel
// through COPY or bound parameters.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/load_plan.h"
#include "weft/status.h"

namespace weft::warehouse {

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string_view name() const = 0;

  // An error naming `what` ("column", "table") when `identifier` cannot be used as given: empty,
  // holding a NUL byte, starting with "_weft_" (weft's own staging columns and aliases), or longer
  // than the database keeps (PostgreSQL truncates at 63 bytes, which would silently make two
  // names one).
  virtual Status check_identifier(std::string_view identifier, std::string_view what) const;
  // "name" with embedded double quotes doubled: safe for any text check_identifier() accepts.
  std::string quote(std::string_view identifier) const;
  // "schema"."table", or "table" without a schema.
  std::string qualified(const LoadPlan& plan) const;

  virtual std::string type_name(ColumnType type) const = 0;
  // The expression for the current time in timestamp columns.
  virtual std::string now() const = 0;

  // CREATE TABLE IF NOT EXISTS for the target: the data columns, weft's columns for the plan,
  // and the primary key for merge.
  std::string create_target(const LoadPlan& plan) const;
  // ALTER TABLE ... ADD COLUMN for schema evolution.
  std::string add_column(const LoadPlan& plan, const Column& column) const;
  // A temporary staging table with the data columns, _weft_op and _weft_seq (and
  // _source_position with the plan's source_position). Dropped at commit.
  virtual std::string create_staging(const LoadPlan& plan) const = 0;

  // The statements that apply the staging table to the target, in order. For merge they read
  // only the latest version of each key (the highest _weft_seq), delete or soft-delete the keys
  // whose latest op is a delete, and insert or update the rest, updating a row only when one of
  // its values changed.
  virtual std::vector<std::string> apply(const LoadPlan& plan) const = 0;

  // The checkpoint table, and the statements that save and load a pipeline's position with
  // parameters $1 (pipeline), $2 (position) and $3 (the records loaded beyond it, a JSON array:
  // stored_position.h) — ?1, ?2 and ?3 in SQLite. The position is NULL while the
  // first record ever loaded was rejected. load_checkpoint() selects position, applied.
  virtual std::string create_checkpoint_table() const = 0;
  virtual std::string save_checkpoint() const = 0;
  virtual std::string load_checkpoint() const = 0;

 protected:
  // The staging rows that take part: for merge, the latest per key; for append, all of them.
  std::string latest_rows(const LoadPlan& plan) const;
  // t.c IS DISTINCT FROM s.c OR ... over the data columns outside the key, and (with soft
  // deletes) a row that was deleted: whether an update changes anything. `target` and `source`
  // are how the two rows are named in the statement.
  std::string changed(const LoadPlan& plan, std::string_view target, std::string_view source) const;
  // The target's column list for an insert, and the matching values from staging row `s`.
  std::string insert_columns(const LoadPlan& plan) const;
  std::string insert_values(const LoadPlan& plan, std::string_view source) const;
  // apply() as DELETE / UPDATE ... WHERE EXISTS and INSERT ... ON CONFLICT DO UPDATE ... WHERE
  // changed: the same text in PostgreSQL 9.5+ and SQLite 3.39+. The target is referred to by
  // its table name.
  std::vector<std::string> upsert_statements(const LoadPlan& plan) const;
};

// How the apply statements name the staging row: a name no user table or column may take.
inline constexpr const char* kSourceAlias = "\"_weft_src\"";

// PostgreSQL 15+: MERGE, or INSERT ... ON CONFLICT when `use_merge` is false (older servers, or
// racing writers: MERGE can fail with a unique violation under concurrent inserts of a key).
std::unique_ptr<Dialect> make_postgres_dialect(bool use_merge = true);
// SQLite 3.39+ (IS DISTINCT FROM): INSERT ... ON CONFLICT DO UPDATE.
std::unique_ptr<Dialect> make_sqlite_dialect();

}  // namespace weft::warehouse

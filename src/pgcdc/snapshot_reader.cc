#include "pgcdc/snapshot_reader.h"

#include <algorithm>

#include "pgcdc/pg_value.h"

namespace weft::pgcdc {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

}  // namespace

SnapshotReader::SnapshotReader(std::vector<SourceTable> tables, const CdcConfig& config,
                               std::string database, std::optional<SnapshotPoint> resume)
    : tables_(std::move(tables)),
      config_(config),
      database_(std::move(database)),
      encoder_(config.envelope) {
  // Positions name tables; sorting by the same name makes "tables before this one" well defined
  // even if the config lists them in another order after a restart.
  std::sort(tables_.begin(), tables_.end(), [](const SourceTable& a, const SourceTable& b) {
    return a.qualified() < b.qualified();
  });
  if (!resume) return;
  while (table_index_ < tables_.size() && tables_[table_index_].qualified() < resume->table) {
    ++table_index_;
  }
  if (table_index_ < tables_.size() && tables_[table_index_].qualified() == resume->table) {
    last_key_ = resume->key_values;
  }
}

awaitable<Status> SnapshotReader::begin(PgConnection& conn, const std::string& snapshot_name) {
  for (const auto& t : tables_) {
    if (t.key_columns.empty()) {
      co_return Error::permanent(
          "table " + t.qualified() +
          " has no primary key, so its snapshot cannot be read in order and resumed; name the "
          "columns that identify a row in `keys` (e.g. `keys: {" +
          t.qualified() + ": \"id, created_at\"}`), or exclude the table");
    }
  }
  auto begun = co_await conn.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  if (!begun.ok()) co_return begun.error();
  if (!snapshot_name.empty()) {
    auto set = co_await conn.query("SET TRANSACTION SNAPSHOT " + conn.quote_literal(snapshot_name));
    if (!set.ok()) co_return set.error();
  }
  co_return Status{};
}

awaitable<Status> SnapshotReader::prepare_shape(PgConnection& conn, const PGresult* result) {
  const auto& table = tables_[table_index_];
  std::vector<Column> columns;
  std::vector<std::string> type_names;
  std::vector<std::string> unknown_oids;
  for (int f = 0; f < PQnfields(result); ++f) {
    Column c;
    c.name = PQfname(result, f);
    c.type_oid = PQftype(result, f);
    c.part_of_key = std::find(table.key_columns.begin(), table.key_columns.end(), c.name) !=
                    table.key_columns.end();
    if (builtin_type_name(c.type_oid).empty()) unknown_oids.push_back(std::to_string(c.type_oid));
    columns.push_back(std::move(c));
  }
  if (!unknown_oids.empty()) {
    // Name the types pg_value.h passes through as text (enums, domains, extensions).
    std::string list;
    for (const auto& oid : unknown_oids) list += (list.empty() ? "" : ",") + oid;
    auto names = co_await conn.query(
        "SELECT t.oid::text, n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n "
        "ON n.oid = t.typnamespace WHERE t.oid IN (" +
        list + ")");
    if (!names.ok()) co_return names.error();
    for (const auto& c : columns) {
      std::string name;
      for (int row = 0; row < PQntuples(names->get()); ++row) {
        if (std::to_string(c.type_oid) == *cell(names->get(), row, 0)) {
          name = std::string(*cell(names->get(), row, 1));
        }
      }
      type_names.push_back(std::move(name));
    }
  }
  shape_ = make_table_shape(table.schema, table.table, columns, config_, database_, type_names);
  key_fields_.clear();
  for (const auto& key : table.key_columns) {
    key_fields_.push_back(PQfnumber(result, conn.quote_identifier(key).c_str()));
  }
  co_return Status{};
}

awaitable<Result<Batch>> SnapshotReader::read(PgConnection& conn, std::size_t max_rows) {
  Batch batch;
  while (batch.empty() && !done()) {
    const auto& table = tables_[table_index_];
    // The key columns are read even when excluded (the shape leaves them out of records): the
    // position needs them.
    std::vector<std::string> read_columns = table.columns;
    for (const auto& key : table.key_columns) {
      if (std::find(read_columns.begin(), read_columns.end(), key) == read_columns.end()) {
        read_columns.push_back(key);
      }
    }
    std::string select_list;
    for (const auto& column : read_columns) {
      if (!select_list.empty()) select_list += ", ";
      select_list += conn.quote_identifier(column);
    }
    std::string sql = "SELECT " + select_list + " FROM " + conn.quote_identifier(table.schema) +
                      "." + conn.quote_identifier(table.table);
    std::string order;
    std::string columns;
    std::string bounds;
    for (std::size_t k = 0; k < table.key_columns.size(); ++k) {
      const auto sep = k == 0 ? "" : ", ";
      columns += sep + conn.quote_identifier(table.key_columns[k]);
      bounds += sep + ("$" + std::to_string(k + 1) + "::" + table.key_types[k]);
    }
    std::vector<std::optional<std::string>> params;
    if (!last_key_.empty()) {
      sql += " WHERE (" + columns + ") > (" + bounds + ")";
      params.assign(last_key_.begin(), last_key_.end());
    }
    const auto limit = std::min<std::size_t>(max_rows, config_.snapshot_chunk_size);
    sql += " ORDER BY " + columns + " LIMIT " + std::to_string(limit);
    auto result = co_await conn.query(sql, params);
    if (!result.ok()) {
      co_return Error(result.error().kind(),
                      result.error().message() + " (snapshot of " + table.qualified() + ")");
    }
    const PGresult* r = result->get();
    if (!shape_) {
      if (Status s = co_await prepare_shape(conn, r); !s.ok()) co_return s.error();
    }
    const int rows = PQntuples(r);
    const ChangeOrigin origin{0, 0, 0, /*snapshot=*/true, {}, {}};
    Tuple tuple(static_cast<std::size_t>(PQnfields(r)));
    for (int row = 0; row < rows; ++row) {
      for (std::size_t f = 0; f < tuple.size(); ++f) {
        auto value = cell(r, row, static_cast<int>(f));
        tuple[f] = value ? TupleValue{ValueKind::kText, *value} : TupleValue{};
      }
      Record record = encoder_.encode(ChangeOp::kRead, *shape_, nullptr, false, &tuple, origin);
      SnapshotPoint point{table.qualified(), {}};
      for (int field : key_fields_) {
        // A `keys` column may hold NULL (a primary key cannot); it sorts last, so it can only
        // be the last chunk's: the position keeps an empty text.
        point.key_values.emplace_back(field < 0 ? std::string_view{}
                                                : cell(r, row, field).value_or(std::string_view{}));
      }
      record.position = format_position(point);
      if (row + 1 == rows) last_key_ = point.key_values;
      batch.push_back(std::move(record));
    }
    if (static_cast<std::size_t>(rows) < limit) {
      ++table_index_;  // a short chunk: the table is done
      last_key_.clear();
      shape_.reset();
    }
  }
  co_return std::move(batch);
}

}  // namespace weft::pgcdc

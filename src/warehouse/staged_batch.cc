#include "warehouse/staged_batch.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "warehouse/column_value.h"
#include "warehouse/record_fields.h"

namespace weft::warehouse {

namespace {

// Columns weft fills itself: a record's fields of these names are not loaded.
bool weft_column(std::string_view name) {
  return name == kLoadedAtColumn || name == kDeletedAtColumn || name == kPositionColumn;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

constexpr std::size_t kNoColumn = static_cast<std::size_t>(-1);

class Stager {
 public:
  Stager(const Batch& batch, const WarehouseConfig& config,
         const std::optional<std::vector<Column>>& table, const std::vector<bool>& skip,
         const Dialect& dialect)
      : batch_(batch), config_(config), skip_(skip), dialect_(dialect) {
    out_.plan = config.plan;
    out_.plan.columns.clear();
    out_.create = !table.has_value();
    if (table) {
      for (const auto& c : *table) types_[c.name] = c.type;
    }
  }

  // Each record is read twice, once per pass: reading is cheaper than keeping what was read.
  StagedBatch run() {
    usable_.assign(batch_.size(), false);
    for (std::size_t i = 0; i < batch_.size(); ++i) collect(i);
    settle_columns();
    for (std::size_t i = 0; i < out_.plan.columns.size(); ++i) {
      column_index_.emplace(out_.plan.columns[i].name, i);
    }
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      if (usable_[i]) encode(i);
    }
    return std::move(out_);
  }

 private:
  void fail(std::size_t index, std::string message) {
    out_.failures.push_back({index, Error::permanent(std::move(message))});
    usable_[index] = false;
  }

  bool loads(const Record& record) const {
    return record.op != Operation::kDelete || config_.plan.deletes != DeleteHandling::kIgnore;
  }

  // Pass 1: which fields the batch carries, and what the fields new to the table hold.
  void collect(std::size_t index) {
    const Record& record = batch_[index];
    if (skip_[index] || !loads(record)) return;
    if (!fields_.read(record, config_.plan.key)) {
      return fail(index, "the record's value is not a JSON object, so it has no columns");
    }
    usable_[index] = true;
    for (const auto& [name, value] : fields_.fields()) {
      if (weft_column(name)) continue;
      if (!types_.contains(name) && !admit_new(index, name, value)) return;
      if (!seen_.contains(name)) {
        seen_.emplace(name);
        touched_.emplace_back(name);
      }
    }
  }

  // A field the table has no column for. False when the record is rejected for it.
  bool admit_new(std::size_t index, std::string_view field, const FieldValue& value) {
    const std::string name(field);
    if (Status s = dialect_.check_identifier(name, "column"); !s.ok()) {
      fail(index, "field \"" + name + "\" cannot be a column: " + s.error().message());
      return false;
    }
    if (!out_.create && config_.evolution == SchemaEvolution::kFreeze) {
      fail(index, "field \"" + name + "\" is not a column of " + dialect_.qualified(config_.plan) +
                      " and schema_evolution is freeze");
      return false;
    }
    if (!out_.create && config_.evolution == SchemaEvolution::kIgnore) return true;
    auto& type = inferred_[name];  // nullopt while only nulls were seen
    if (auto t = infer_type(value)) type = type ? widen(*type, *t) : *t;
    return true;
  }

  // Between the passes: the load's columns (key first), and the columns to add or create.
  void settle_columns() {
    const bool ignore_new = !out_.create && config_.evolution == SchemaEvolution::kIgnore;
    for (const auto& k : config_.plan.key) {
      if (!types_.contains(k) && !inferred_.contains(k) && out_.create) inferred_[k] = std::nullopt;
    }
    std::vector<std::string> order = config_.plan.key;
    for (const auto& name : touched_) {
      if (!contains(order, name)) order.push_back(name);
    }
    for (const auto& name : order) {
      if (!types_.contains(name)) {
        // A key column added to an existing table would lack the key's uniqueness: records
        // are rejected naming it instead (encode()).
        const bool key = contains(config_.plan.key, name);
        if (ignore_new || !inferred_.contains(name) || (key && !out_.create)) continue;
        auto declared = config_.declared.find(name);
        const ColumnType type = declared != config_.declared.end()
                                    ? declared->second
                                    : inferred_[name].value_or(ColumnType::kText);
        types_[name] = type;
        out_.new_columns.push_back({name, type});
      }
      out_.plan.columns.push_back({name, types_[name]});
    }
    for (const auto& column : out_.plan.columns) out_.rows.columns.push_back(column.name);
    out_.rows.columns.push_back(kOpColumn);
    out_.rows.columns.push_back(kSequenceColumn);
    if (config_.plan.source_position) out_.rows.columns.push_back(kPositionColumn);
  }

  // The load column a record's k-th field fills, or kNoColumn. Records of one source tend to
  // list their fields in one order, so the column the previous record's k-th field filled is
  // tried first.
  std::size_t column_of(std::size_t k, std::string_view name) {
    if (k < guess_.size() && guess_[k] != kNoColumn &&
        out_.plan.columns[guess_[k]].name == name) {
      return guess_[k];
    }
    auto found = column_index_.find(name);
    const std::size_t column = found == column_index_.end() ? kNoColumn : found->second;
    if (k >= guess_.size()) guess_.resize(k + 1, kNoColumn);
    guess_[k] = column;
    return column;
  }

  // Pass 2: the record's cells in its columns' types.
  void encode(std::size_t index) {
    const Record& record = batch_[index];
    const bool merge = config_.plan.mode == WriteMode::kMerge;
    const bool sqlite = dialect_.name() == "sqlite";
    for (const auto& key : config_.plan.key) {
      if (!types_.contains(key)) {
        return fail(index, dialect_.qualified(config_.plan) + " has no column \"" + key +
                               "\", its primary_key");
      }
    }
    fields_.read(record, config_.plan.key);
    static const FieldValue kNull;
    values_.assign(out_.plan.columns.size(), &kNull);
    const auto& fields = fields_.fields();
    for (std::size_t k = 0; k < fields.size(); ++k) {
      const std::size_t column = column_of(k, fields[k].name);
      if (column != kNoColumn) values_[column] = &fields[k].value;  // a repeated field: the last
    }
    std::vector<Cell> cells;
    cells.reserve(out_.rows.columns.size());
    for (std::size_t c = 0; c < out_.plan.columns.size(); ++c) {
      const Column& column = out_.plan.columns[c];
      const FieldValue& value = *values_[c];
      if (merge && value.kind == ValueKind::kNull && contains(config_.plan.key, column.name)) {
        return fail(index, "no value for primary key column \"" + column.name + "\"");
      }
      auto cell = cell_text(value, column.type, sqlite);
      if (!cell.ok()) {
        return fail(index, "column \"" + column.name + "\" is " + to_string(column.type) +
                               ": " + cell.error().message());
      }
      cells.push_back(std::move(*cell));
    }
    cells.emplace_back(record.op == Operation::kDelete ? "delete" : "upsert");
    cells.emplace_back(std::to_string(index));
    if (config_.plan.source_position) cells.emplace_back(record.position);
    for (auto& c : cells) out_.rows.cells.push_back(std::move(c));
    out_.record.push_back(index);
  }

  const Batch& batch_;
  const WarehouseConfig& config_;
  const std::vector<bool>& skip_;
  const Dialect& dialect_;
  StagedBatch out_;
  // std::less<>: looked up by the string_views RecordFields hands out.
  std::map<std::string, ColumnType, std::less<>> types_;  // the table's columns, those to add
  std::map<std::string, std::optional<ColumnType>, std::less<>> inferred_;  // fields new to it
  std::vector<std::string> touched_;  // fields the batch carries, in order of appearance
  std::set<std::string, std::less<>> seen_;
  std::vector<bool> usable_;  // per record: read in pass 1, not rejected, not left out
  RecordFields fields_;
  std::map<std::string, std::size_t, std::less<>> column_index_;  // load column -> index
  std::vector<std::size_t> guess_;  // by field index: the column it filled last time
  std::vector<const FieldValue*> values_;  // by column: the record's value (pass 2)
};

}  // namespace

StagedBatch stage_batch(const Batch& batch, const WarehouseConfig& config,
                        const std::optional<std::vector<Column>>& table,
                        const std::vector<bool>& skip, const Dialect& dialect) {
  return Stager(batch, config, table, skip, dialect).run();
}

StagedRows slice(const StagedRows& rows, std::size_t begin, std::size_t end) {
  StagedRows out;
  out.columns = rows.columns;
  const std::size_t width = rows.columns.size();
  out.cells.assign(rows.cells.begin() + static_cast<std::ptrdiff_t>(begin * width),
                   rows.cells.begin() + static_cast<std::ptrdiff_t>(end * width));
  return out;
}

}  // namespace weft::warehouse

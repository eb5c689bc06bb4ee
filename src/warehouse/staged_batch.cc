#include "warehouse/staged_batch.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "warehouse/column_value.h"

namespace weft::warehouse {

namespace {

// Columns weft fills itself: a record's fields of these names are not loaded.
bool weft_column(const std::string& name) {
  return name == kLoadedAtColumn || name == kDeletedAtColumn || name == kPositionColumn;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The object whose fields a record loads: its value, or for a delete without the key in its
// value (a CDC delete carries only the before-image) the before-image.
const nlohmann::json* fields_of(const Record& record, const std::vector<std::string>& key) {
  const nlohmann::json& value = record.value.json();
  const bool complete = value.is_object() && std::all_of(key.begin(), key.end(), [&](auto& k) {
                          return value.contains(k) && !value[k].is_null();
                        });
  if (record.op == Operation::kDelete && !complete && record.before &&
      record.before->json().is_object()) {
    return &record.before->json();
  }
  return value.is_object() ? &value : nullptr;
}

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

  StagedBatch run() {
    fields_.assign(batch_.size(), nullptr);
    for (std::size_t i = 0; i < batch_.size(); ++i) collect(i);
    settle_columns();
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      if (fields_[i] != nullptr) encode(i);
    }
    return std::move(out_);
  }

 private:
  void fail(std::size_t index, std::string message) {
    out_.failures.push_back({index, Error::permanent(std::move(message))});
    fields_[index] = nullptr;
  }

  bool loads(const Record& record) const {
    return record.op != Operation::kDelete || config_.plan.deletes != DeleteHandling::kIgnore;
  }

  // Pass 1: which fields the batch carries, and what the fields new to the table hold.
  void collect(std::size_t index) {
    const Record& record = batch_[index];
    if (skip_[index] || !loads(record)) return;
    const nlohmann::json* fields = fields_of(record, config_.plan.key);
    if (fields == nullptr) {
      return fail(index, "the record's value is not a JSON object, so it has no columns");
    }
    fields_[index] = fields;
    for (const auto& [name, value] : fields->items()) {
      if (weft_column(name)) continue;
      if (!types_.contains(name) && !admit_new(index, name, value)) return;
      if (seen_.insert(name).second) touched_.push_back(name);
    }
  }

  // A field the table has no column for. False when the record is rejected for it.
  bool admit_new(std::size_t index, const std::string& name, const nlohmann::json& value) {
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

  // Pass 2: the record's cells in its columns' types.
  void encode(std::size_t index) {
    const Record& record = batch_[index];
    const nlohmann::json& fields = *fields_[index];
    const bool merge = config_.plan.mode == WriteMode::kMerge;
    const bool sqlite = dialect_.name() == "sqlite";
    std::vector<Cell> cells;
    cells.reserve(out_.rows.columns.size());
    for (const auto& key : config_.plan.key) {
      if (!types_.contains(key)) {
        return fail(index, dialect_.qualified(config_.plan) + " has no column \"" + key +
                               "\", its primary_key");
      }
    }
    static const nlohmann::json kNull;
    for (const auto& column : out_.plan.columns) {
      auto found = fields.find(column.name);
      const nlohmann::json& value = found != fields.end() ? *found : kNull;
      if (merge && value.is_null() && contains(config_.plan.key, column.name)) {
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
  std::map<std::string, ColumnType> types_;  // the table's columns, and those to be added
  std::map<std::string, std::optional<ColumnType>> inferred_;  // fields new to the table
  std::vector<std::string> touched_;  // fields the batch carries, in order of appearance
  std::set<std::string> seen_;
  std::vector<const nlohmann::json*> fields_;  // per record; null once rejected or left out
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

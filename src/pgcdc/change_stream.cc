#include "pgcdc/change_stream.h"

#include <algorithm>

namespace weft::pgcdc {
namespace {

// True when an update's key columns differ between the old key tuple and the new row.
bool key_changed(const TableShape& shape, const Tuple& old_key, const Tuple& row) {
  for (auto index : shape.key_columns) {
    if (index >= old_key.size() || index >= row.size()) return true;
    const auto& a = old_key[index];
    const auto& b = row[index];
    if (a.kind != b.kind || a.data != b.data) return true;
  }
  return false;
}

}  // namespace

ChangeStream::ChangeStream(const CdcConfig& config, std::string database)
    : config_(config), database_(std::move(database)), encoder_(config.envelope) {}

const TableShape* ChangeStream::shape_of(std::uint32_t relation_id, const char* message,
                                         Status& error) {
  auto it = relations_.find(relation_id);
  if (it == relations_.end()) {
    error = Error::permanent(std::string("pgoutput ") + message + " for relation " +
                             std::to_string(relation_id) + ", which no Relation message described");
    return nullptr;
  }
  return it->second.included ? &it->second : nullptr;
}

void ChangeStream::emit(std::vector<Record>& out, Record record) {
  const StreamPoint point{transaction_.commit_lsn, next_seq_++};
  // A skipped record was handed out before (by this source or before a restart): it still
  // counts as the transaction's last record, so the transaction is confirmed only once that
  // record is committed.
  last_record_ = point;
  if (skip_through_ && point <= *skip_through_) return;
  record.position = format_position(point);
  record.id = record.position;
  out.push_back(std::move(record));
}

Status ChangeStream::apply_update(const Update& update, std::vector<Record>& out) {
  Status error;
  const TableShape* shape = shape_of(update.relation_id, "Update", error);
  if (shape == nullptr) return error;
  if (update.old_tuple && key_changed(*shape, *update.old_tuple, update.new_tuple)) {
    // The row moved to another key: a delete of the old key and a create of the new one, so a
    // sink keyed by primary key does not keep the old row (as Debezium does).
    emit(out, encoder_.encode(ChangeOp::kDelete, *shape, &*update.old_tuple, update.old_is_key_only,
                              nullptr, transaction_));
    emit(out, encoder_.encode(ChangeOp::kCreate, *shape, nullptr, false, &update.new_tuple,
                              transaction_));
    return Status{};
  }
  const Tuple* before = update.old_tuple ? &*update.old_tuple : nullptr;
  emit(out, encoder_.encode(ChangeOp::kUpdate, *shape, before, update.old_is_key_only,
                            &update.new_tuple, transaction_));
  return Status{};
}

Status ChangeStream::apply(std::string_view bytes, std::vector<Record>& out) {
  auto decoded = decode_pgoutput(bytes);
  if (!decoded.ok()) return decoded.error();
  Status error;
  auto& message = *decoded;
  if (auto* begin = std::get_if<Begin>(&message)) {
    in_transaction_ = true;
    transaction_ = ChangeOrigin{begin->final_lsn,
                                begin->xid,
                                begin->commit_time,
                                false,
                                format_lsn(begin->final_lsn),
                                std::to_string(begin->xid)};
    next_seq_ = 0;
    last_record_.reset();
  } else if (auto* commit = std::get_if<Commit>(&message)) {
    in_transaction_ = false;
    ended_.push_back(
        TransactionEnd{commit->commit_lsn, commit->end_lsn, commit->commit_time, last_record_});
  } else if (auto* relation = std::get_if<Relation>(&message)) {
    std::vector<std::string> type_names;
    for (const auto& column : relation->columns) {
      auto it = type_names_.find(column.type_oid);
      type_names.push_back(it == type_names_.end() ? std::string() : it->second);
    }
    // Under REPLICA IDENTITY FULL the server flags every column as part of the key; the
    // table's primary key (known from the catalog) is the record key instead.
    auto columns = relation->columns;
    auto known = primary_keys_.find(relation->schema + "." + relation->name);
    if (known != primary_keys_.end() && !known->second.empty()) {
      for (auto& column : columns) {
        column.part_of_key = std::find(known->second.begin(), known->second.end(), column.name) !=
                             known->second.end();
      }
    }
    relations_[relation->id] =
        make_table_shape(relation->schema, relation->name, columns, config_, database_, type_names);
  } else if (auto* type = std::get_if<TypeInfo>(&message)) {
    type_names_[type->oid] = type->schema + "." + type->name;
  } else if (auto* insert = std::get_if<Insert>(&message)) {
    const TableShape* shape = shape_of(insert->relation_id, "Insert", error);
    if (shape != nullptr) {
      emit(out, encoder_.encode(ChangeOp::kCreate, *shape, nullptr, false, &insert->new_tuple,
                                transaction_));
    }
  } else if (auto* update = std::get_if<Update>(&message)) {
    return apply_update(*update, out);
  } else if (auto* removal = std::get_if<Delete>(&message)) {
    const TableShape* shape = shape_of(removal->relation_id, "Delete", error);
    if (shape != nullptr) {
      emit(out, encoder_.encode(ChangeOp::kDelete, *shape, &removal->old_tuple,
                                removal->old_is_key_only, nullptr, transaction_));
    }
  } else if (auto* truncate = std::get_if<Truncate>(&message)) {
    for (auto id : truncate->relation_ids) {
      const TableShape* shape = shape_of(id, "Truncate", error);
      if (!error.ok()) return error;
      if (shape != nullptr) emit(out, encoder_.encode_truncate(*shape, transaction_));
    }
  } else if (auto* logical = std::get_if<LogicalMessage>(&message)) {
    if (!config_.include_messages || logical->prefix == kHeartbeatPrefix) return Status{};
    if (logical->transactional) {
      emit(out, encoder_.encode_message(*logical, transaction_));
    } else {
      // Outside any transaction: it is its own unit, confirmed at its own LSN.
      const auto saved = transaction_;
      transaction_ = ChangeOrigin{logical->lsn, 0, to_pg_time(Clock::now()), false, {}, {}};
      next_seq_ = 0;
      last_record_.reset();
      emit(out, encoder_.encode_message(*logical, transaction_));
      ended_.push_back(
          TransactionEnd{logical->lsn, logical->lsn, transaction_.commit_time, last_record_});
      transaction_ = saved;
    }
  }
  // Origin messages need nothing: the changes that follow are what matters.
  return error;
}

}  // namespace weft::pgcdc

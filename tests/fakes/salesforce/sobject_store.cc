#include "fakes/salesforce/sobject_store.h"

#include <cstdio>

namespace weft::fakes::salesforce {

std::string SObjectStore::key_prefix(const std::string& object) {
  static const std::map<std::string, std::string> kPrefixes = {
      {"Account", "001"}, {"Contact", "003"}, {"Opportunity", "006"},
      {"Lead", "00Q"},    {"Case", "500"},    {"User", "005"}};
  const auto it = kPrefixes.find(object);
  return it == kPrefixes.end() ? "a00" : it->second;
}

std::optional<RecordError> SObjectStore::take_injected(const std::string& external_id) {
  std::lock_guard lock(mutex_);
  const auto it = injected_.find(external_id);
  if (it == injected_.end()) return std::nullopt;
  RecordError error{it->second.code, it->second.message, it->second.fields};
  if (error.message.empty()) error.message = "injected " + error.status_code;
  if (it->second.failures > 0 && --it->second.failures == 0) injected_.erase(it);
  return error;
}

void SObjectStore::inject(InjectedError error) {
  std::lock_guard lock(mutex_);
  std::string key = error.external_id;
  injected_.insert_or_assign(std::move(key), std::move(error));
}

void SObjectStore::clear_injected() {
  std::lock_guard lock(mutex_);
  injected_.clear();
}

std::string SObjectStore::next_id(const std::string& object) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%015llu", static_cast<unsigned long long>(++counter_));
  std::string id = key_prefix(object) + digits;
  object_of_id_.emplace(id, object);
  return id;
}

void SObjectStore::write(Object& object, const std::string& id, const nlohmann::json& fields) {
  auto& record = object.by_id[id];
  if (record.is_null()) record = nlohmann::json{{"Id", id}};
  for (const auto& [field, value] : fields.items()) {
    if (auto index = object.indexes.find(field); index != object.indexes.end()) {
      if (const auto old = record.find(field); old != record.end()) {
        if (const auto text = external_id_text(*old)) index->second.erase(*text);
      }
      if (const auto text = external_id_text(value)) index->second[*text] = id;
    }
    record[field] = value;
  }
}

WriteResult SObjectStore::upsert(const std::string& object_name, const std::string& external_field,
                                 const nlohmann::json& fields) {
  std::lock_guard lock(mutex_);
  Object& object = objects_[object_name];
  auto index = object.indexes.find(external_field);
  if (index == object.indexes.end()) {
    index = object.indexes.emplace(external_field, std::unordered_map<std::string, std::string>())
                .first;
    for (const auto& [id, record] : object.by_id) {
      if (const auto it = record.find(external_field); it != record.end()) {
        if (const auto text = external_id_text(*it)) index->second[*text] = id;
      }
    }
  }
  WriteResult result;
  const auto value = fields.find(external_field);
  const auto text = value == fields.end() ? std::nullopt : external_id_text(*value);
  if (!text) {
    result.error = RecordError{"INVALID_FIELD", "missing external id " + external_field, {}};
    return result;
  }
  if (const auto found = index->second.find(*text); found != index->second.end()) {
    result.id = found->second;
  } else {
    result.id = next_id(object_name);
    result.created = true;
  }
  write(object, result.id, fields);
  return result;
}

std::string SObjectStore::insert(const std::string& object_name, const nlohmann::json& fields) {
  std::lock_guard lock(mutex_);
  std::string id = next_id(object_name);
  write(objects_[object_name], id, fields);
  return id;
}

bool SObjectStore::update(const std::string& object_name, const std::string& id,
                          const nlohmann::json& fields) {
  std::lock_guard lock(mutex_);
  const auto object = objects_.find(object_name);
  if (object == objects_.end() || object->second.by_id.count(id) == 0) return false;
  write(object->second, id, fields);
  return true;
}

bool SObjectStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto owner = object_of_id_.find(id);
  if (owner == object_of_id_.end()) return false;
  Object& object = objects_[owner->second];
  const auto record = object.by_id.find(id);
  if (record == object.by_id.end()) return false;
  for (auto& [field, index] : object.indexes) {
    if (const auto it = record->second.find(field); it != record->second.end()) {
      if (const auto text = external_id_text(*it)) index.erase(*text);
    }
  }
  object.by_id.erase(record);
  object_of_id_.erase(owner);
  return true;
}

nlohmann::json SObjectStore::records(const std::string& object_name) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  const auto object = objects_.find(object_name);
  if (object == objects_.end()) return out;
  for (const auto& [id, record] : object->second.by_id) out.push_back(record);
  return out;
}

std::size_t SObjectStore::size() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [name, object] : objects_) total += object.by_id.size();
  return total;
}

void SObjectStore::clear() {
  std::lock_guard lock(mutex_);
  objects_.clear();
  object_of_id_.clear();
}

}  // namespace weft::fakes::salesforce

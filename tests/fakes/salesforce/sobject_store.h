#pragma once

// The fake org's data: records per sObject type, with the ids Salesforce would assign, looked up
// by Id or by any external id field, and the per-record errors tests inject by external id value.
// Both the sObject Collections and the Bulk API 2.0 endpoints write here.

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fakes/salesforce/errors.h"

namespace weft::fakes::salesforce {

// What an upsert did: the record's Id and whether it was created, or why it failed.
struct WriteResult {
  std::string id;
  bool created = false;
  std::optional<RecordError> error;
};

// Thread-safe throughout; each call is atomic on its own.
class SObjectStore {
 public:
  // The 3-character key prefix Salesforce uses for `object` ("001" for Account, "a00" for an
  // object it does not know).
  static std::string key_prefix(const std::string& object);

  // The injected error that applies to a write of `external_id` now, consuming one use of a
  // transient one; nullopt when none applies.
  std::optional<RecordError> take_injected(const std::string& external_id);
  void inject(InjectedError error);
  void clear_injected();

  // Writes `fields` (a JSON object without "attributes" or "Id") into the `object` record whose
  // `external_field` equals the external id value in `fields`, creating it when there is none.
  // Fields given replace stored ones; others stay. Does not check injected errors.
  WriteResult upsert(const std::string& object, const std::string& external_field,
                     const nlohmann::json& fields);
  // Creates a record; returns its Id.
  std::string insert(const std::string& object, const nlohmann::json& fields);
  // Writes `fields` into the record `id` of `object`; false when there is no such record.
  bool update(const std::string& object, const std::string& id, const nlohmann::json& fields);
  // Deletes the record `id` of any object; false when there is no such record.
  bool remove(const std::string& id);

  // The records of `object` in creation order, each a JSON object with its "Id" and fields.
  nlohmann::json records(const std::string& object) const;
  std::size_t size() const;
  void clear();

 private:
  struct Object {
    std::map<std::string, nlohmann::json> by_id;  // Ids sort in creation order
    // field -> value -> Id, for the external id fields upserts used so far
    std::map<std::string, std::unordered_map<std::string, std::string>> indexes;
  };
  std::string next_id(const std::string& object);                                   // needs mutex_
  void write(Object& object, const std::string& id, const nlohmann::json& fields);  // needs mutex_

  mutable std::mutex mutex_;
  std::map<std::string, Object> objects_;
  std::unordered_map<std::string, std::string> object_of_id_;
  std::uint64_t counter_ = 0;
  std::map<std::string, InjectedError> injected_;  // by external id value
};

}  // namespace weft::fakes::salesforce

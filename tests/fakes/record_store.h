#pragma once

// The fake REST API's data: records 1..N generated from their number on the fly, plus the records
// tests upserted, kept whole. One time axis: a record's `created` (epoch seconds) drives its
// updated_at and sys_updated_on too, so every API's incremental filter sees the same changes.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "weft/status.h"

namespace weft::fakes {

// Record i of the generated ones was created at kCreatedBase + i.
constexpr std::int64_t kCreatedBase = 1700000000;

// An upserted record, rendered once.
struct StoredRecord {
  std::int64_t number = 0;
  std::int64_t created = 0;
  std::string id;
  std::string json;  // the whole object
};

// Where a record sits on the time axis; orders compare these.
struct RecordKey {
  std::int64_t created = 0;
  std::int64_t number = 0;
};

// The data set at one moment. Immutable once published, so requests read it without a lock.
struct Snapshot {
  std::int64_t generated = 0;  // records 1..generated exist unless upserted over
  std::map<std::int64_t, std::shared_ptr<const StoredRecord>> upserted;  // by number
  std::vector<std::int64_t> replaced;        // upserted numbers within 1..generated, ascending
  std::vector<const StoredRecord*> by_time;  // upserted, ascending (created, number)
  std::unordered_map<std::string, std::int64_t> ids;  // upserted records' ids -> number
  std::int64_t max_created = 0;

  std::int64_t size() const;  // records in all
  // The record whose "id" is `id` ("cus_0000042" for a generated one), if any.
  std::optional<RecordKey> find_id(std::string_view id) const;
};

// The order a listing is in.
enum class Order {
  kNumberAsc,  // ascending number: most APIs
  kTimeAsc,    // ascending (created, number): ServiceNow's ORDERBYsys_updated_on
  kTimeDesc,   // descending (created, number): Stripe, newest first
};

// One record of a page: a generated one (stored == nullptr) or an upserted one.
struct RecordRef {
  std::int64_t number = 0;
  const StoredRecord* stored = nullptr;
};

// Appends the record's JSON object.
void append_record(std::string& out, const RecordRef& record);
// The generated record `number` as JSON, the template an upsert starts from.
nlohmann::ordered_json generated_record(std::int64_t number);

// The records created at or after `min_created`, in `order`, addressed by position without
// materialising them: O(upserted) to build, O(page + upserted) per page. Keeps the snapshot alive.
class View {
 public:
  View(std::shared_ptr<const Snapshot> snapshot, std::int64_t min_created, Order order);

  std::int64_t size() const { return base_count_ + static_cast<std::int64_t>(extras_.size()); }
  // Records at positions [offset, offset + limit), fewer at the end.
  std::vector<RecordRef> page(std::int64_t offset, std::int64_t limit) const;
  // How many records of the view come before `key` in the order, and with `inclusive` also a
  // record at `key` itself: where a listing "after key" ("before key") continues.
  std::int64_t count_until(const RecordKey& key, bool inclusive) const;

 private:
  std::int64_t base_le(std::int64_t number) const;  // generated records in view numbered <= number
  std::int64_t base_at(std::int64_t index) const;   // the index-th (ascending) generated number
  bool before(const RecordKey& a, const RecordKey& b) const;

  std::shared_ptr<const Snapshot> snapshot_;
  Order order_;
  std::int64_t lo_ = 1;  // generated records in view: lo_..hi_ minus holes_
  std::int64_t hi_ = 0;
  std::vector<std::int64_t> holes_;
  std::int64_t base_count_ = 0;
  std::vector<const StoredRecord*> extras_;    // upserted records in view, in order
  std::vector<std::int64_t> extra_positions_;  // each one's position in the view
};

// The current snapshot and the upserts that replace it. Thread-safe.
class RecordStore {
 public:
  explicit RecordStore(std::int64_t generated);

  std::shared_ptr<const Snapshot> snapshot() const;

  // Upserts one record (a JSON object) or several (an array), all or none, matched by their
  // integer "number" (>= 1). Fields not given come from the generated record of that number. The
  // record's time is its "created", else its "updated_at" or "sys_updated_on", else one second
  // after the newest record; created, updated_at and sys_updated_on are all set from it. Returns
  // how many were upserted, or an invalid_config Error saying what is wrong.
  Result<std::size_t> upsert(const nlohmann::json& records);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace weft::fakes

#include "fakes/record_store.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "fakes/encoding.h"

namespace weft::fakes {
namespace {

// Far beyond any real time, small enough that adding a page size cannot overflow.
constexpr std::int64_t kTimeBound = std::int64_t{1} << 50;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

void append_hex64(std::string& out, std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 15];
}

// 32 hex digits, unique per number (splitmix64 is a bijection).
void append_sys_id(std::string& out, std::int64_t number) {
  const auto n = static_cast<std::uint64_t>(number);
  append_hex64(out, splitmix64(n));
  append_hex64(out, splitmix64(n ^ 0xA5A5A5A5A5A5A5A5ULL));
}

// "cus_0000042": Stripe-like, at least seven digits.
void append_customer_id(std::string& out, std::int64_t number) {
  out.append("cus_");
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  const auto length = end - digits;
  if (length < 7) out.append(static_cast<std::size_t>(7 - length), '0');
  out.append(digits, end);
}

void append_generated(std::string& out, std::int64_t number) {
  const std::int64_t created = kCreatedBase + number;
  out.append(R"({"id":")");
  append_customer_id(out, number);
  out.append(R"(","number":)");
  append_int(out, number);
  out.append(R"(,"created":)");
  append_int(out, created);
  out.append(R"(,"updated_at":")");
  append_iso8601(out, created);
  out.append(R"(","sys_id":")");
  append_sys_id(out, number);
  out.append(R"(","sys_updated_on":")");
  append_servicenow_time(out, created);
  out.append(R"(","name":"Customer )");
  append_int(out, number);
  out.append(R"(","email":"customer)");
  append_int(out, number);
  out.append(R"(@example.com"})");
}

// The largest generated number whose key is below `key` (`inclusive`: at or below it). A
// generated record i has key (kCreatedBase + i, i): both parts grow with i.
std::int64_t last_generated_below(const RecordKey& key, bool inclusive) {
  const std::int64_t at = key.created - kCreatedBase;  // the one created at key.created
  const bool counts = inclusive ? at <= key.number : at < key.number;
  return counts ? at : at - 1;
}

Error invalid(const std::string& message) { return Error::invalid_config("records: " + message); }

}  // namespace

void append_record(std::string& out, const RecordRef& record) {
  if (record.stored != nullptr) {
    out.append(record.stored->json);
  } else {
    append_generated(out, record.number);
  }
}

nlohmann::ordered_json generated_record(std::int64_t number) {
  std::string id;
  append_customer_id(id, number);
  std::string sys_id;
  append_sys_id(sys_id, number);
  const std::int64_t created = kCreatedBase + number;
  return {{"id", id},
          {"number", number},
          {"created", created},
          {"updated_at", iso8601(created)},
          {"sys_id", sys_id},
          {"sys_updated_on", servicenow_time(created)},
          {"name", "Customer " + std::to_string(number)},
          {"email", "customer" + std::to_string(number) + "@example.com"}};
}

std::int64_t Snapshot::size() const {
  return generated - static_cast<std::int64_t>(replaced.size()) +
         static_cast<std::int64_t>(upserted.size());
}

std::optional<RecordKey> Snapshot::find_id(std::string_view id) const {
  if (const auto it = ids.find(std::string(id)); it != ids.end()) {
    const auto& record = *upserted.at(it->second);
    return RecordKey{record.created, record.number};
  }
  if (!id.starts_with("cus_")) return std::nullopt;
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(id.data() + 4, id.data() + id.size(), number);
  if (ec != std::errc() || end != id.data() + id.size() || number < 1 || number > generated ||
      upserted.count(number) != 0) {
    return std::nullopt;
  }
  std::string canonical;
  append_customer_id(canonical, number);
  if (canonical != id) return std::nullopt;  // "cus_42" is not "cus_0000042"
  return RecordKey{kCreatedBase + number, number};
}

View::View(std::shared_ptr<const Snapshot> snapshot, std::int64_t min_created, Order order)
    : snapshot_(std::move(snapshot)), order_(order) {
  const Snapshot& data = *snapshot_;
  min_created = std::clamp(min_created, -kTimeBound, kTimeBound);
  lo_ = std::max<std::int64_t>(1, min_created - kCreatedBase);
  hi_ = data.generated;
  if (lo_ <= hi_) {
    const auto first = std::lower_bound(data.replaced.begin(), data.replaced.end(), lo_);
    holes_.assign(first, data.replaced.end());
    base_count_ = hi_ - lo_ + 1 - static_cast<std::int64_t>(holes_.size());
  }

  if (order_ == Order::kNumberAsc) {
    for (const auto& [number, record] : data.upserted) {
      if (record->created >= min_created) extras_.push_back(record.get());
    }
  } else {
    const auto first = std::partition_point(
        data.by_time.begin(), data.by_time.end(),
        [&](const StoredRecord* record) { return record->created < min_created; });
    extras_.assign(first, data.by_time.end());
    if (order_ == Order::kTimeDesc) std::reverse(extras_.begin(), extras_.end());
  }

  // An upserted record's position is the number of records before it: the upserted ones before
  // it plus the generated ones (no generated record has its key: that number is a hole).
  extra_positions_.reserve(extras_.size());
  for (const StoredRecord* record : extras_) {
    extra_positions_.push_back(count_until({record->created, record->number}, false));
  }
}

bool View::before(const RecordKey& a, const RecordKey& b) const {
  switch (order_) {
    case Order::kNumberAsc:
      return a.number < b.number;
    case Order::kTimeAsc:
      return a.created < b.created || (a.created == b.created && a.number < b.number);
    case Order::kTimeDesc:
      return a.created > b.created || (a.created == b.created && a.number > b.number);
  }
  return false;
}

std::int64_t View::base_le(std::int64_t number) const {
  if (base_count_ == 0 || number < lo_) return 0;
  number = std::min(number, hi_);
  const auto holes = std::upper_bound(holes_.begin(), holes_.end(), number) - holes_.begin();
  return number - lo_ + 1 - holes;
}

std::int64_t View::base_at(std::int64_t index) const {
  std::int64_t number = lo_ + index;
  for (const std::int64_t hole : holes_) {
    if (hole > number) break;
    ++number;
  }
  return number;
}

std::int64_t View::count_until(const RecordKey& key, bool inclusive) const {
  std::int64_t base = 0;
  switch (order_) {
    case Order::kNumberAsc:
      base = base_le(inclusive ? key.number : key.number - 1);
      break;
    case Order::kTimeAsc:
      base = base_le(last_generated_below(key, inclusive));
      break;
    case Order::kTimeDesc:  // those with an ascending key above `key`
      base = base_count_ - base_le(last_generated_below(key, !inclusive));
      break;
  }
  const auto extras =
      std::partition_point(extras_.begin(), extras_.end(), [&](const StoredRecord* record) {
        const RecordKey other{record->created, record->number};
        return before(other, key) || (inclusive && !before(key, other));
      });
  return base + (extras - extras_.begin());
}

std::vector<RecordRef> View::page(std::int64_t offset, std::int64_t limit) const {
  std::vector<RecordRef> out;
  offset = std::max<std::int64_t>(offset, 0);
  if (offset >= size() || limit <= 0) return out;
  const std::int64_t end = std::min(size(), offset + std::min(limit, size()));
  out.reserve(static_cast<std::size_t>(end - offset));

  auto extra = static_cast<std::size_t>(
      std::lower_bound(extra_positions_.begin(), extra_positions_.end(), offset) -
      extra_positions_.begin());
  const std::int64_t base_index = offset - static_cast<std::int64_t>(extra);
  const bool descending = order_ == Order::kTimeDesc;
  // The next generated record to emit and the hole next to it in the walking direction.
  std::int64_t number = 0;
  std::ptrdiff_t hole = 0;
  if (base_index < base_count_) {
    number = base_at(descending ? base_count_ - 1 - base_index : base_index);
    hole = descending
               ? (std::upper_bound(holes_.begin(), holes_.end(), number) - holes_.begin()) - 1
               : std::lower_bound(holes_.begin(), holes_.end(), number) - holes_.begin();
  }
  const auto holes = static_cast<std::ptrdiff_t>(holes_.size());
  for (std::int64_t position = offset; position < end; ++position) {
    if (extra < extras_.size() && extra_positions_[extra] == position) {
      out.push_back({extras_[extra]->number, extras_[extra]});
      ++extra;
      continue;
    }
    out.push_back({number, nullptr});
    if (descending) {
      --number;
      while (hole >= 0 && holes_[static_cast<std::size_t>(hole)] == number) {
        --number;
        --hole;
      }
    } else {
      ++number;
      while (hole < holes && holes_[static_cast<std::size_t>(hole)] == number) {
        ++number;
        ++hole;
      }
    }
  }
  return out;
}

RecordStore::RecordStore(std::int64_t generated) {
  auto initial = std::make_shared<Snapshot>();
  initial->generated = std::max<std::int64_t>(generated, 0);
  initial->max_created = kCreatedBase + initial->generated;
  current_ = std::move(initial);
}

std::shared_ptr<const Snapshot> RecordStore::snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

Result<std::size_t> RecordStore::upsert(const nlohmann::json& records) {
  std::vector<const nlohmann::json*> items;
  if (records.is_object()) {
    items.push_back(&records);
  } else if (records.is_array()) {
    for (const auto& item : records) {
      if (!item.is_object()) return invalid("each record must be a JSON object");
      items.push_back(&item);
    }
  } else {
    return invalid("expected a JSON object or an array of them");
  }

  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Snapshot>(*current_);
  for (const nlohmann::json* item : items) {
    const auto number_field = item->find("number");
    if (number_field == item->end() || !number_field->is_number_integer() ||
        number_field->get<std::int64_t>() < 1 || number_field->get<std::int64_t>() > kTimeBound) {
      return invalid(R"(each record needs an integer "number" >= 1)");
    }
    const auto number = number_field->get<std::int64_t>();
    auto record = generated_record(number);
    for (const auto& [name, value] : item->items()) record[name] = value;

    std::optional<std::int64_t> created;
    if (const auto field = item->find("created"); field != item->end()) {
      if (!field->is_number_integer()) return invalid(R"("created" must be epoch seconds)");
      created = field->get<std::int64_t>();
    } else {
      for (const char* name : {"updated_at", "sys_updated_on"}) {
        const auto field = item->find(name);
        if (field == item->end()) continue;
        if (field->is_string()) created = parse_time(field->get<std::string>());
        if (!created) return invalid("\"" + std::string(name) + "\" is not a time");
        break;
      }
    }
    if (!created) created = next->max_created + 1;
    if (*created < -kTimeBound || *created > kTimeBound) return invalid("time out of range");
    record["created"] = *created;
    record["updated_at"] = iso8601(*created);
    record["sys_updated_on"] = servicenow_time(*created);
    if (!record["id"].is_string()) return invalid(R"("id" must be a string)");

    auto stored = std::make_shared<StoredRecord>();
    stored->number = number;
    stored->created = *created;
    stored->id = record["id"].get<std::string>();
    stored->json = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (const auto old = next->upserted.find(number); old != next->upserted.end()) {
      const auto old_id = next->ids.find(old->second->id);
      if (old_id != next->ids.end() && old_id->second == number) next->ids.erase(old_id);
    }
    next->ids[stored->id] = number;
    next->max_created = std::max(next->max_created, *created);
    next->upserted[number] = std::move(stored);
  }

  next->replaced.clear();
  next->by_time.clear();
  for (const auto& [number, record] : next->upserted) {
    if (number <= next->generated) next->replaced.push_back(number);
    next->by_time.push_back(record.get());
  }
  std::sort(next->by_time.begin(), next->by_time.end(),
            [](const StoredRecord* a, const StoredRecord* b) {
              return a->created < b->created || (a->created == b->created && a->number < b->number);
            });
  current_ = std::move(next);
  return items.size();
}

}  // namespace weft::fakes

// The crosswalk cache: two sharded LRU maps (external id -> canonical id, and canonical id and
// system -> external id) in front of the state store's crosswalk table.
//
// Why sharded: every mapping on every pipeline looks ids up here, and a hit must cost far less
// than the record it serves (over a million a second on one core). One mutex would make the
// pipelines queue behind each other; with 16 shards two lookups rarely meet. Each shard is an
// exact LRU of its own keys, so eviction is LRU per shard, close enough to global LRU once a
// shard holds more than a few entries (small caches use fewer shards; see ShardedLru).
//
// Keys are one string, built in a per-thread buffer so that a hit allocates only the id it
// returns: the length of each part but the last, then the parts ("8customer6stripecus_123"
// in spirit, with binary lengths), which no choice of ids can make ambiguous.

#include "mapper/crosswalk.h"

#include <atomic>
#include <cstring>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "mapper/uuid.h"
#include "state/state_store.h"

namespace weft {
namespace {

// A cache key with its hash, computed once per lookup and reused for the shard and the bucket.
struct Key {
  std::string_view text;
  std::size_t hash;
  // The hash first: libstdc++ does not cache hash codes for a custom hasher, so a bucket's
  // other keys would otherwise each cost a text comparison (another cache line).
  bool operator==(const Key& other) const { return hash == other.hash && text == other.text; }
};

struct KeyHash {
  std::size_t operator()(const Key& key) const { return key.hash; }
};

void append_part(std::string& out, std::string_view part) {
  const auto size = static_cast<std::uint32_t>(part.size());
  char bytes[sizeof size];
  std::memcpy(bytes, &size, sizeof size);
  out.append(bytes, sizeof size);
  out.append(part);
}

// Builds the key for (a, b, c) in this thread's buffer; valid until the next call on the
// thread.
Key make_key(std::string_view a, std::string_view b, std::string_view c) {
  thread_local std::string buffer;
  buffer.clear();
  append_part(buffer, a);
  append_part(buffer, b);
  buffer.append(c);
  return Key{buffer, std::hash<std::string_view>{}(buffer)};
}

// A string -> string LRU map split into shards, each behind its own mutex. Thread-safe.
// Counts its hits and misses per shard, under the shard's lock: a counter shared by all
// threads would be a cache line every lookup fights over.
class ShardedLru {
 public:
  explicit ShardedLru(std::size_t capacity) {
    if (capacity == 0) return;
    // At least 64 entries a shard, so a small cache still evicts in (nearly) LRU order.
    shard_count_ = 1;
    while (shard_count_ < kMaxShards && capacity / (shard_count_ * 2) >= 64) shard_count_ *= 2;
    shards_ = std::make_unique<Shard[]>(shard_count_);
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shards_[i].capacity = capacity / shard_count_ + (i < capacity % shard_count_ ? 1 : 0);
    }
  }

  // Copies the value into `value` and marks the entry used; false when absent.
  bool get(const Key& key, std::string& value) {
    if (shard_count_ == 0) {
      uncached_misses_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    const auto found = shard.index.find(key);
    if (found == shard.index.end()) {
      ++shard.misses;
      return false;
    }
    ++shard.hits;
    shard.entries.splice(shard.entries.begin(), shard.entries, found->second);
    value = found->second->value;
    return true;
  }

  // Adds this map's hits and misses to the totals.
  void count(std::uint64_t& hits, std::uint64_t& misses) {
    misses += uncached_misses_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::lock_guard lock(shards_[i].mutex);
      hits += shards_[i].hits;
      misses += shards_[i].misses;
    }
  }

  void put(const Key& key, std::string_view value) {
    if (shard_count_ == 0) return;
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    if (const auto found = shard.index.find(key); found != shard.index.end()) {
      found->second->value.assign(value);
      shard.entries.splice(shard.entries.begin(), shard.entries, found->second);
      return;
    }
    if (shard.index.size() >= shard.capacity) {
      const Entry& last = shard.entries.back();
      shard.index.erase(Key{last.key, last.hash});
      shard.entries.pop_back();
    }
    // The index refers to the list node's own key: nodes never move.
    shard.entries.push_front(Entry{std::string(key.text), key.hash, std::string(value)});
    const Entry& entry = shard.entries.front();
    shard.index.emplace(Key{entry.key, entry.hash}, shard.entries.begin());
  }

  void erase(const Key& key) {
    if (shard_count_ == 0) return;
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    const auto found = shard.index.find(key);
    if (found == shard.index.end()) return;
    const auto entry = found->second;
    shard.index.erase(found);
    shard.entries.erase(entry);
  }

 private:
  static constexpr std::size_t kMaxShards = 16;

  struct Entry {
    std::string key;
    std::size_t hash;
    std::string value;
  };

  // Cache-line aligned so that two shards' mutexes never share a line.
  struct alignas(64) Shard {
    std::mutex mutex;
    std::size_t capacity = 0;
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::list<Entry> entries;  // most recently used first
    std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index;
  };

  Shard& shard_of(const Key& key) {
    // The high bits: the buckets inside a shard use the low ones (modulo a prime).
    return shards_[(key.hash >> 40) & (shard_count_ - 1)];
  }

  std::size_t shard_count_ = 0;  // a power of two; 0: caching is off
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::uint64_t> uncached_misses_{0};
};

}  // namespace

struct Crosswalk::Impl {
  Impl(StateStore& store, std::size_t capacity, bool dry_run)
      : store(store), dry_run(dry_run), to_canonical(capacity), to_external(capacity) {}

  // Remembers a link in both directions.
  void remember(const std::string& entity, const std::string& system,
                const std::string& external_id, const std::string& canonical_id) {
    to_canonical.put(make_key(entity, system, external_id), canonical_id);
    to_external.put(make_key(entity, system, canonical_id), external_id);
  }

  StateStore& store;
  const bool dry_run;
  ShardedLru to_canonical;                // (entity, system, external id) -> canonical id
  ShardedLru to_external;                 // (entity, system, canonical id) -> external id
  std::atomic<std::uint64_t> created{0};  // rare: after a store write
};

Crosswalk::Crosswalk(StateStore& store, std::size_t capacity, bool dry_run)
    : impl_(std::make_unique<Impl>(store, capacity, dry_run)) {}

Crosswalk::~Crosswalk() = default;

Result<std::optional<std::string>> Crosswalk::to_canonical(const std::string& entity,
                                                           const std::string& system,
                                                           const std::string& external_id,
                                                           OnMissing on_missing, MintMode mint) {
  Impl& impl = *impl_;
  std::string canonical;
  if (impl.to_canonical.get(make_key(entity, system, external_id), canonical)) {
    return std::optional<std::string>(std::move(canonical));
  }

  auto found = impl.store.crosswalk_find(entity, system, external_id);
  if (!found) return found.error();
  if (*found) {
    impl.remember(entity, system, external_id, **found);
    return found;
  }
  // Misses are not cached: another pipeline or `weft crosswalk put` may link the id later.
  switch (on_missing) {
    case OnMissing::kNull:
      return std::optional<std::string>();
    case OnMissing::kError:
      return Error::permanent("crosswalk " + entity + "/" + system + " has no id '" + external_id +
                              "' (link it with weft crosswalk put or import, then replay)");
    case OnMissing::kCreate:
      break;
  }
  const std::string candidate =
      mint == MintMode::kUuidV5 ? stable_id(entity, system, external_id) : uuid_v4();
  if (impl.dry_run) {
    impl.remember(entity, system, external_id, candidate);
    return std::optional<std::string>(candidate);
  }
  auto linked = impl.store.crosswalk_find_or_create(entity, system, external_id, candidate);
  if (!linked) return linked.error();
  // Another pipeline may have won the race with its own candidate (with v5, the same one).
  if (*linked == candidate) impl.created.fetch_add(1, std::memory_order_relaxed);
  impl.remember(entity, system, external_id, *linked);
  return std::optional<std::string>(std::move(*linked));
}

Status Crosswalk::prefetch(const std::string& entity, const std::string& system,
                          const std::vector<std::string>& external_ids, OnMissing on_missing,
                          MintMode mint) {
  Impl& impl = *impl_;
  std::vector<std::string> uncached;
  std::vector<std::string> candidates;
  std::string ignored;
  for (const auto& id : external_ids) {
    if (impl.to_canonical.get(make_key(entity, system, id), ignored)) continue;
    uncached.push_back(id);
  }
  if (uncached.empty()) return {};
  if (on_missing != OnMissing::kCreate || impl.dry_run) {
    for (const auto& id : uncached) {
      auto found = impl.store.crosswalk_find(entity, system, id);
      if (!found) return found.error().retryable() ? Status(found.error()) : Status{};
      if (*found) impl.remember(entity, system, id, **found);
    }
    return {};
  }
  candidates.reserve(uncached.size());
  for (const auto& id : uncached) {
    candidates.push_back(mint == MintMode::kUuidV5 ? stable_id(entity, system, id) : uuid_v4());
  }
  auto linked = impl.store.crosswalk_find_or_create_many(entity, system, uncached, candidates);
  if (!linked) return linked.error().retryable() ? Status(linked.error()) : Status{};
  for (std::size_t i = 0; i < uncached.size(); ++i) {
    if ((*linked)[i] == candidates[i]) impl.created.fetch_add(1, std::memory_order_relaxed);
    impl.remember(entity, system, uncached[i], (*linked)[i]);
  }
  return {};
}

Result<std::optional<std::string>> Crosswalk::to_external(const std::string& entity,
                                                          const std::string& canonical_id,
                                                          const std::string& system) {
  Impl& impl = *impl_;
  std::string external;
  if (impl.to_external.get(make_key(entity, system, canonical_id), external)) {
    return std::optional<std::string>(std::move(external));
  }
  auto found = impl.store.crosswalk_reverse(entity, canonical_id, system);
  if (!found) return found.error();
  if (*found) impl.remember(entity, system, **found, canonical_id);
  return found;
}

Status Crosswalk::put(const std::string& entity, const std::string& system,
                      const std::string& external_id, const std::string& canonical_id) {
  Impl& impl = *impl_;
  if (impl.dry_run) {
    impl.remember(entity, system, external_id, canonical_id);
    return {};
  }
  // The links this one replaces, so their cache entries go too: the external id's previous
  // canonical id (its reverse entry) and the canonical id's previous external id (its forward
  // entry). A lookup on another thread that read the store before the put may still cache an
  // old link afterwards; like another process's put, that lasts until it is evicted.
  auto old_canonical = impl.store.crosswalk_find(entity, system, external_id);
  if (!old_canonical) return old_canonical.error();
  auto old_external = impl.store.crosswalk_reverse(entity, canonical_id, system);
  if (!old_external) return old_external.error();
  if (Status stored = impl.store.crosswalk_put({{entity, system, external_id, canonical_id}});
      !stored) {
    return stored;
  }
  if (*old_canonical) impl.to_external.erase(make_key(entity, system, **old_canonical));
  if (*old_external) impl.to_canonical.erase(make_key(entity, system, **old_external));
  impl.remember(entity, system, external_id, canonical_id);
  return Status::ok_status();
}

std::string Crosswalk::stable_id(const std::string& entity, const std::string& system,
                                 const std::string& external_id) {
  // kWeftNamespace is a valid UUID, so uuid_v5 always answers.
  return *uuid_v5(kWeftNamespace, entity + "/" + system + "/" + external_id);
}

Crosswalk::Stats Crosswalk::stats() const {
  Stats stats;
  impl_->to_canonical.count(stats.hits, stats.misses);
  impl_->to_external.count(stats.hits, stats.misses);
  stats.created = impl_->created.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace weft

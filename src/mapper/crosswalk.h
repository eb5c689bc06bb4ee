#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/status.h"

namespace weft {

class StateStore;

// What a crosswalk lookup does when the external id is not linked yet (docs/mapping.md).
enum class OnMissing {
  kCreate,  // mint a canonical id and link it (atomically: racing pipelines share one id)
  kError,   // a permanent error: the record goes to the DLQ
  kNull,    // the field is null
};

// How `create` mints a canonical id: UUID v5 of "entity/system/external_id" in weft's
// namespace (the same everywhere, reproducible), or a random UUID v4.
enum class MintMode { kUuidV5, kUuidV4 };

// Crosswalk lookups for mappings, with an in-memory LRU cache in front of the state store.
// Links never change under a cached entry except through this object's `put` or another
// process's `weft crosswalk put`, which the cache may serve stale for up to its size in lookups;
// see docs/mapping.md.
//
// Thread-safe: mappings on several pipelines share one Crosswalk.
class Crosswalk {
 public:
  // `capacity` entries in each direction (0 disables the cache). With `dry_run` (`weft map`)
  // the store is only read: ids `create` would mint are returned (and cached) but not stored.
  explicit Crosswalk(StateStore& store, std::size_t capacity = 100000, bool dry_run = false);
  ~Crosswalk();
  Crosswalk(const Crosswalk&) = delete;
  Crosswalk& operator=(const Crosswalk&) = delete;

  // The canonical id for an external id. nullopt only with OnMissing::kNull. Errors: permanent
  // for a miss with kError ("crosswalk customer/stripe has no id 'cus_123' (link it ...)"); the store's error
  // (retryable for lock contention) otherwise.
  Result<std::optional<std::string>> to_canonical(const std::string& entity,
                                                  const std::string& system,
                                                  const std::string& external_id,
                                                  OnMissing on_missing,
                                                  MintMode mint = MintMode::kUuidV5);

  // Resolves a batch's external ids ahead of its records, so the to_canonical() calls that
  // follow hit the cache: ids already linked are read, and with kCreate the missing ones are
  // linked in one store transaction (one fsync for a batch of new entities, instead of one per
  // record). Permanent failures are left for to_canonical() to report per record; the store's
  // retryable errors are returned.
  Status prefetch(const std::string& entity, const std::string& system,
                  const std::vector<std::string>& external_ids, OnMissing on_missing,
                  MintMode mint = MintMode::kUuidV5);

  // The system's id for a canonical id, or nullopt (reverse lookup for sinks).
  Result<std::optional<std::string>> to_external(const std::string& entity,
                                                 const std::string& canonical_id,
                                                 const std::string& system);

  // Records that `external_id` in `system` is `canonical_id` (a sink writing back the id the
  // target assigned). Durable when it returns ok; updates the cache.
  Status put(const std::string& entity, const std::string& system,
             const std::string& external_id, const std::string& canonical_id);

  // The id `create` mints for an external id with kUuidV5.
  static std::string stable_id(const std::string& entity, const std::string& system,
                               const std::string& external_id);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t created = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft

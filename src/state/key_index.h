#pragma once

// The in-memory side of the idempotency keys (sqlite_idempotency.cc): a key's fingerprint and a
// per-pipeline hash map from fingerprint to its newest log entry. Private to src/state. No I/O
// and no locking: the store guards each map with its mutex.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/status.h"

namespace weft::state {

// The first 16 bytes of SHA-256(key). Keys are not stored: they may be long or sensitive. Two
// different keys sharing a fingerprint would make the second look like a duplicate (its record
// skipped); with 128 bits the chance of any such pair among n keys is about n^2 / 2^129, ~1e-25
// at 10 million keys.
using KeyFingerprint = std::array<unsigned char, 16>;

// Fingerprints of `keys`, in order. Fails (permanent, "SHA-256 of the keys failed (OpenSSL)")
// only if OpenSSL cannot compute SHA-256.
// Thread-safe; call it before taking the store's mutex.
Result<std::vector<KeyFingerprint>> fingerprint_keys(const std::vector<std::string>& keys);

// A key's newest entry in idempotency_log.
struct KeyEntry {
  std::int64_t expires_at_ms = 0;
  std::int64_t seq = 0;  // the row; a purge drops the entry only when it deletes this row
};

// The fingerprint is already uniformly distributed: any 8 of its bytes are a good hash. noexcept
// also tells libstdc++ not to cache the hash in each node.
struct FingerprintHash {
  std::size_t operator()(const KeyFingerprint& fingerprint) const noexcept {
    std::uint64_t hash = 0;
    std::memcpy(&hash, fingerprint.data(), sizeof hash);
    return static_cast<std::size_t>(hash);
  }
};

// One pipeline's keys, all of them in memory. Per key on 64-bit libstdc++: a 40-byte node (next
// pointer, fingerprint, entry) in a 48-byte malloc chunk, plus 8 to 16 bytes of bucket array;
// bench/idempotency_bench.cc measures ~61 MiB of heap per million keys.
using KeyIndex = std::unordered_map<KeyFingerprint, KeyEntry, FingerprintHash>;

}  // namespace weft::state

#pragma once

// Where the `files` source finds its objects: an S3-compatible bucket (s3_bucket.h) or a local
// directory (local_directory.h). Both behave like S3: keys are '/'-separated paths relative to
// the location's root, listed in lexicographic (byte) order, each with a version tag that changes
// whenever the content is replaced (S3's ETag; for a file, its size and modification time).
//
// Threading: a store belongs to the executor it was created on; call it from coroutines there.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "weft/status.h"

namespace weft::files {

struct ObjectInfo {
  std::string key;   // relative to the location's root, e.g. "incoming/customers_1.csv"
  std::string etag;  // version tag, without quotes
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point last_modified{};
};

struct ObjectPage {
  std::vector<ObjectInfo> objects;          // in key order
  std::optional<std::string> continuation;  // set when more objects follow
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // One page of the objects whose key starts with `prefix` and sorts after `start_after` (when
  // non-empty), continuing from a previous page's `continuation`.
  virtual boost::asio::awaitable<Result<ObjectPage>> list(const std::string& prefix,
                                                          const std::string& start_after,
                                                          std::optional<std::string> continuation) = 0;

  // Up to `length` bytes of the object from byte `offset` (fewer only at its end), read only if
  // it still has version `etag`: a replaced object is a permanent error saying so. Reading an
  // object in ranges keeps memory bounded however large it is. `buffer` is the previous range,
  // handed back for a store that fills memory itself to reuse (its content is overwritten):
  // a fresh multi-megabyte buffer per range costs page faults on every read.
  virtual boost::asio::awaitable<Result<std::string>> read(const ObjectInfo& object,
                                                           std::uint64_t offset,
                                                           std::uint64_t length,
                                                           std::string buffer) = 0;

  // The object's current version tag, or "" when there is no such object.
  virtual boost::asio::awaitable<Result<std::string>> version(const std::string& key) = 0;

  virtual boost::asio::awaitable<Status> remove(const std::string& key) = 0;

  // Moves an object to `new_key` (S3: copy, then delete; a directory: rename).
  virtual boost::asio::awaitable<Status> move(const std::string& key,
                                              const std::string& new_key) = 0;

  // The object's full location for people: "s3://bucket/incoming/a.csv", "/data/in/a.csv".
  virtual std::string describe(const std::string& key) const = 0;
};

}  // namespace weft::files

#pragma once

// A local directory as an object store (file:///path): keys are paths relative to the directory,
// '/'-separated, listed recursively in byte order. The version tag of a file is its size,
// modification time and inode, so a rewritten or replaced file counts as a new version. Hidden files and
// directories (names starting with '.') are not listed: tools write partial files that way and
// rename them when complete.
//
// File I/O is synchronous (local disks answer in microseconds; a read is one pread of at most
// the configured read size), so the awaitables complete without suspending.

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "files/object_store.h"

namespace weft::files {

class LocalDirectory final : public ObjectStore {
 public:
  explicit LocalDirectory(std::string root);

  boost::asio::awaitable<Result<ObjectPage>> list(const std::string& prefix,
                                                  const std::string& start_after,
                                                  std::optional<std::string> continuation) override;
  boost::asio::awaitable<Result<std::string>> read(const ObjectInfo& object, std::uint64_t offset,
                                                   std::uint64_t length, std::string buffer) override;
  boost::asio::awaitable<Result<std::string>> version(const std::string& key) override;
  boost::asio::awaitable<Status> remove(const std::string& key) override;
  boost::asio::awaitable<Status> move(const std::string& key, const std::string& new_key) override;
  std::string describe(const std::string& key) const override;

  // The listing as list() computes it, synchronously: every file under the root whose key
  // starts with `prefix` and sorts after `start_after`.
  Result<std::vector<ObjectInfo>> scan(const std::string& prefix,
                                       const std::string& start_after) const;

 private:
  std::string root_;
  // The last full scan, paged out by continuation (the key a page ended with).
  std::vector<ObjectInfo> scanned_;
};

// The version tag of a file: "<size>-<mtime ns>-<inode>" in hex. The inode tells apart a file
// replaced within one tick of the file system's clock (a rename over it gives a new inode).
std::string file_version(const struct stat& st);

}  // namespace weft::files

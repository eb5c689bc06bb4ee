#pragma once

// An S3 bucket (or any S3-compatible store) as an object store, over s3::Client. Keys are the
// bucket's keys; a read is a ranged GET with If-Match on the ETag, so a replaced object is
// noticed instead of being read half old, half new.

#include <memory>
#include <string>

#include "files/object_store.h"

namespace weft::s3 {
class Client;
}

namespace weft::files {

class S3Bucket final : public ObjectStore {
 public:
  explicit S3Bucket(std::unique_ptr<s3::Client> client);
  ~S3Bucket() override;

  boost::asio::awaitable<Result<ObjectPage>> list(const std::string& prefix,
                                                  const std::string& start_after,
                                                  std::optional<std::string> continuation) override;
  boost::asio::awaitable<Result<std::string>> read(const ObjectInfo& object, std::uint64_t offset,
                                                   std::uint64_t length, std::string buffer) override;
  boost::asio::awaitable<Result<std::string>> version(const std::string& key) override;
  boost::asio::awaitable<Status> remove(const std::string& key) override;
  boost::asio::awaitable<Status> move(const std::string& key, const std::string& new_key) override;
  std::string describe(const std::string& key) const override;

 private:
  std::unique_ptr<s3::Client> client_;
};

}  // namespace weft::files

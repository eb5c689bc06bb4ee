#include "files/s3_bucket.h"

#include <utility>

#include "s3/s3_client.h"

namespace weft::files {

S3Bucket::S3Bucket(std::unique_ptr<s3::Client> client) : client_(std::move(client)) {}

S3Bucket::~S3Bucket() = default;

boost::asio::awaitable<Result<ObjectPage>> S3Bucket::list(const std::string& prefix,
                                                          const std::string& start_after,
                                                          std::optional<std::string> continuation) {
  s3::ListObjectsRequest request;
  request.prefix = prefix;
  request.continuation_token = std::move(continuation);
  // S3 applies start-after to the first page only; later pages continue from the token.
  if (!request.continuation_token && !start_after.empty()) request.start_after = start_after;
  auto listed = co_await client_->list(request);
  if (!listed) co_return listed.error();
  ObjectPage page;
  page.objects.reserve(listed->objects.size());
  for (auto& summary : listed->objects) {
    ObjectInfo info;
    info.key = std::move(summary.key);
    info.etag = std::move(summary.etag);
    info.size = summary.size;
    info.last_modified = summary.last_modified;
    page.objects.push_back(std::move(info));
  }
  page.continuation = std::move(listed->next_continuation_token);
  co_return page;
}

boost::asio::awaitable<Result<std::string>> S3Bucket::read(const ObjectInfo& object,
                                                           std::uint64_t offset,
                                                           std::uint64_t length,
                                                           std::string /*buffer: the HTTP client
                                                                         allocates the body*/) {
  std::optional<std::string> if_match = object.etag;
  auto range = co_await client_->get_range(object.key, offset, length, std::move(if_match));
  if (!range) co_return range.error();
  co_return std::move(range->body);
}

boost::asio::awaitable<Result<std::string>> S3Bucket::version(const std::string& key) {
  // A listing of the key as a prefix: S3 has no cheaper call that s3::Client makes.
  s3::ListObjectsRequest request;
  request.prefix = key;
  auto listed = co_await client_->list(request);
  if (!listed) co_return listed.error();
  for (const auto& object : listed->objects) {
    if (object.key == key) co_return object.etag;
  }
  co_return std::string();
}

boost::asio::awaitable<Status> S3Bucket::remove(const std::string& key) {
  co_return co_await client_->remove(key);
}

boost::asio::awaitable<Status> S3Bucket::move(const std::string& key, const std::string& new_key) {
  Status copied = co_await client_->copy(key, new_key);
  if (!copied) co_return copied;
  co_return co_await client_->remove(key);
}

std::string S3Bucket::describe(const std::string& key) const { return client_->describe(key); }

}  // namespace weft::files
